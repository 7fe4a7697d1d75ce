package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.ReduceOp;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * CPU reference of the one-axis reductions over a [outer, length, inner] view. Sums accumulate in double so
 * the reference is more accurate than any float kernel it is compared against.
 */
final class ReduceCpu {
    private ReduceCpu() {}

    static void reduce(Parallel par, ReduceOp op, float[] x, int xo, int outer, int length, int inner,
                       float[] out, int oo) {
        reduce(par, op, x, xo, outer, length, inner, out, oo, CpuBackend.FAST);
    }

    /** As above; {@code fast} sums columns 2·V at a time in registers ({@code Columns.columnSums}) (the same bits). */
    static void reduce(Parallel par, ReduceOp op, float[] x, int xo, int outer, int length, int inner,
                       float[] out, int oo, boolean fast) {
        if (inner == 1) {
            // Each output is the sum of one contiguous row.
            par.forRange(outer, Math.max(1, 4096 / Math.max(1, length)), (from, to) -> {
                for (int o = from; o < to; o++) out[oo + o] = reduceRow(op, x, xo + o * length, length);
            });
            return;
        }
        // Each output is a column of a [length, inner] slab. Walking a column with stride inner touches a new
        // cache line per element, so instead stream the slab row by row into a strip of accumulators:
        // element i still sums k = 0, 1, … in order (the same result as the column loop), but memory is read
        // front to back. Work is split over (outer, strip of columns) pairs.
        int wanted = Math.max(1, 2 * par.threads() / Math.max(1, outer));   // strips per slab, for balance
        int strip = Math.min(inner, Math.min(STRIP, Math.max(64, (inner + wanted - 1) / wanted)));
        int strips = (inner + strip - 1) / strip;
        par.forRange(outer * strips, Math.max(1, 4096 / Math.max(1, length * strip)), (from, to) -> {
            double[] sum = op == ReduceOp.SUM ? new double[strip] : null;
            float[] max = op == ReduceOp.SUM ? null : new float[strip];
            for (int t = from; t < to; t++) {
                int o = t / strips, i0 = (t % strips) * strip, w = Math.min(strip, inner - i0);
                int base = xo + o * length * inner + i0;
                if (sum != null) {
                    int done = fast ? Columns.columnSums(x, base, inner, length, w, out, oo + o * inner + i0) : 0;
                    java.util.Arrays.fill(sum, 0, w, 0.0);
                    for (int k = 0; k < length; k++) {
                        int row = base + k * inner;
                        for (int i = done; i < w; i++) sum[i] += x[row + i];
                    }
                    for (int i = done; i < w; i++) out[oo + o * inner + i0 + i] = (float) sum[i];
                } else {
                    java.util.Arrays.fill(max, 0, w, Float.NEGATIVE_INFINITY);
                    for (int k = 0; k < length; k++) {
                        int row = base + k * inner;
                        for (int i = 0; i < w; i++) max[i] = Math.max(max[i], x[row + i]);
                    }
                    System.arraycopy(max, 0, out, oo + o * inner + i0, w);
                }
            }
        });
    }

    /**
     * The Vector API part, in its own class so that it is only initialised on the fast path: with
     * {@code -Dtessera.cpu.scalar=true} the JVM may run without the incubator module.
     */
    private static final class Columns {
        private static final VectorSpecies<Float> FLOATS = SgemmVector.SPECIES;
        private static final VectorSpecies<Double> DOUBLES =
                VectorSpecies.of(double.class, VectorShape.forBitSize(FLOATS.vectorBitSize()));
        private static final int V = FLOATS.length();

        /**
         * Sums columns [0, w − w mod 2V) of the [length, ldx] slab at x[base] into out[oo …]; returns how many. Each
         * 2V-column block walks down the rows with its 2V double sums held in four registers (each float widened,
         * then added in row order: the strip loop's arithmetic, so the same bits), where the strip loop loads and
         * stores every sum once per row. Rows are read with stride ldx; each block row is two cache lines.
         */
        static int columnSums(float[] x, int base, int ldx, int length, int w, float[] out, int oo) {
            int end = w / (2 * V) * (2 * V);
            for (int i = 0; i < end; i += 2 * V) {
                DoubleVector s0 = DoubleVector.zero(DOUBLES), s1 = DoubleVector.zero(DOUBLES);
                DoubleVector s2 = DoubleVector.zero(DOUBLES), s3 = DoubleVector.zero(DOUBLES);
                for (int k = 0, row = base + i; k < length; k++, row += ldx) {
                    FloatVector a = FloatVector.fromArray(FLOATS, x, row), b = FloatVector.fromArray(FLOATS, x, row + V);
                    s0 = s0.add(a.convertShape(VectorOperators.F2D, DOUBLES, 0));
                    s1 = s1.add(a.convertShape(VectorOperators.F2D, DOUBLES, 1));
                    s2 = s2.add(b.convertShape(VectorOperators.F2D, DOUBLES, 0));
                    s3 = s3.add(b.convertShape(VectorOperators.F2D, DOUBLES, 1));
                }
                int h = V / 2;
                ((FloatVector) s0.convertShape(VectorOperators.D2F, FLOATS, 0)).intoArray(out, oo + i, HALF);
                ((FloatVector) s1.convertShape(VectorOperators.D2F, FLOATS, 0)).intoArray(out, oo + i + h, HALF);
                ((FloatVector) s2.convertShape(VectorOperators.D2F, FLOATS, 0)).intoArray(out, oo + i + V, HALF);
                ((FloatVector) s3.convertShape(VectorOperators.D2F, FLOATS, 0)).intoArray(out, oo + i + V + h, HALF);
            }
            return end;
        }

        /** The low half of a float vector: where a narrowed double vector's V/2 values land. */
        private static final VectorMask<Float> HALF = VectorMask.fromLong(FLOATS, (1L << (V / 2)) - 1);
    }

    /** Columns summed together by one task; a strip of double accumulators stays in L1. */
    private static final int STRIP = 512;

    private static float reduceRow(ReduceOp op, float[] x, int base, int length) {
        if (op == ReduceOp.SUM) {
            double s = 0;
            for (int k = 0; k < length; k++) s += x[base + k];
            return (float) s;
        }
        float m = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < length; k++) m = Math.max(m, x[base + k]);
        return m;
    }

    static void argmax(float[] x, int xo, int outer, int length, int inner, int[] out, int oo) {
        for (int r = 0; r < outer * inner; r++) {
            int o = r / inner, i = r % inner, base = xo + o * length * inner + i;
            int best = 0;
            float m = x[base];
            for (int k = 1; k < length; k++) {
                float v = x[base + k * inner];
                if (v > m || (Float.isNaN(v) && !Float.isNaN(m))) {
                    m = v;
                    best = k;
                }
            }
            out[oo + r] = best;
        }
    }
}
