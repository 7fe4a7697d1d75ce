package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.ReduceOp;

/**
 * CPU reference of the one-axis reductions over a [outer, length, inner] view. Sums accumulate in double so
 * the reference is more accurate than any float kernel it is compared against.
 */
final class ReduceCpu {
    private ReduceCpu() {}

    static void reduce(Parallel par, ReduceOp op, float[] x, int xo, int outer, int length, int inner,
                       float[] out, int oo) {
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
                    java.util.Arrays.fill(sum, 0, w, 0.0);
                    for (int k = 0; k < length; k++) {
                        int row = base + k * inner;
                        for (int i = 0; i < w; i++) sum[i] += x[row + i];
                    }
                    for (int i = 0; i < w; i++) out[oo + o * inner + i0 + i] = (float) sum[i];
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
