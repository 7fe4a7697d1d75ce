package dev.tessera.engine.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU kernels of {@code Backend.scaledResidual}: a block's residual {@code x + drop_path(gamma * a)}
 * (LayerScale from CaiT, Touvron et al. 2021, as BEiT's and CAE's blocks use it; drop path per sample) in one pass
 * instead of three (multiply by gamma, multiply by the sample's keep factor, add), and its backward in one pass
 * instead of four. Every element is rounded exactly as the separate ops round it (Java float arithmetic is IEEE per
 * operation and never contracted to FMA), and gamma's gradient is summed as broadcasting's backward sums it, one
 * axis at a time in double ({@link ReduceCpu}'s order): per sample over its rows, rounded to float, then over the
 * samples. So the results are the bits of {@code Backend}'s composed default, for any thread count.
 */
final class ScaledResidualCpu {
    private ScaledResidualCpu() {}

    /** Rows (of cols floats) per forward chunk target: about this many elements per task. */
    private static final int GRAIN = 16384;

    /** out = x + (a·gamma[c])·keep[s]; gamma or keep may be null (1). */
    static void forward(Parallel par, float[] x, int xo, float[] a, int ao, float[] gamma, int go, float[] keep, int ko,
                        int samples, int rows, int cols, float[] out, int oo, boolean fast) {
        int lines = samples * rows;
        par.forRange(lines, Math.max(1, GRAIN / Math.max(1, cols)), (from, to) -> {
            for (int line = from; line < to; line++) {
                int i = line * cols, s = line / rows;
                float k = keep == null ? 1f : keep[ko + s];
                int c = fast ? Vec.forward(x, xo + i, a, ao + i, gamma, go, keep != null, k, out, oo + i, cols) : 0;
                if (gamma != null && keep != null) {
                    for (; c < cols; c++) out[oo + i + c] = x[xo + i + c] + a[ao + i + c] * gamma[go + c] * k;
                } else if (gamma != null) {
                    for (; c < cols; c++) out[oo + i + c] = x[xo + i + c] + a[ao + i + c] * gamma[go + c];
                } else {
                    for (; c < cols; c++) out[oo + i + c] = x[xo + i + c] + a[ao + i + c] * k;
                }
            }
        });
    }

    /**
     * With gt = g·keep[s]: da = gt·gamma[c] (or += when accumulate; da may be null) and, when gamma and dgamma are
     * given, dgamma[c] = Σ_s float(Σ_r gt·a), written. Split over samples: a sample's column sums are one task's,
     * summed over its rows in order; the sum over samples is then taken in sample order. {@code fast} sums with
     * the Vector API ({@link Vec}), the same operations in the same order.
     */
    static void backward(Parallel par, float[] g, int gOff, float[] a, int ao, float[] gamma, int go, float[] keep, int ko,
                         int samples, int rows, int cols, float[] da, int dao, boolean accumulate, float[] dgamma, int dgo,
                         boolean fast) {
        boolean sums = gamma != null && dgamma != null;
        float[] perSample = sums ? new float[samples * cols] : null;
        par.forRange(samples, Math.max(1, GRAIN / Math.max(1, rows * cols)), (from, to) -> {
            double[] part = sums ? new double[cols] : null;
            for (int s = from; s < to; s++) {
                float k = keep == null ? 1f : keep[ko + s];
                if (sums) java.util.Arrays.fill(part, 0.0);
                for (int r = 0; r < rows; r++) {
                    int i = (s * rows + r) * cols;
                    if (da != null) {
                        int c = fast ? Vec.da(g, gOff + i, gamma, go, keep != null, k, da, dao + i, accumulate, cols) : 0;
                        daRun(g, gOff + i + c, gamma, go + c, keep != null, k, da, dao + i + c, accumulate, cols - c);
                    }
                    if (!sums) continue;
                    int c = fast ? Vec.sums(g, gOff + i, a, ao + i, keep != null, k, part, cols) : 0;
                    for (; c < cols; c++) {
                        float gt = keep != null ? g[gOff + i + c] * k : g[gOff + i + c];
                        part[c] += gt * a[ao + i + c];
                    }
                }
                if (sums) for (int c = 0; c < cols; c++) perSample[s * cols + c] = (float) part[c];
            }
        });
        if (!sums) return;
        double[] total = new double[cols];
        for (int s = 0; s < samples; s++) {
            for (int c = 0; c < cols; c++) total[c] += perSample[s * cols + c];
        }
        for (int c = 0; c < cols; c++) dgamma[dgo + c] = (float) total[c];
    }

    /**
     * The Vector API twins of the loops above (the same float operations in the same order, each returning how many
     * columns it did, a multiple of V), in their own class so scalar mode ({@code -Dtessera.cpu.scalar}) never
     * loads them. Written out because C2 does not vectorise the plain loops when their arrays may alias.
     */
    private static final class Vec {
        private static final VectorSpecies<Float> FLOATS = SgemmVector.SPECIES;
        private static final VectorSpecies<Double> DOUBLES =
                VectorSpecies.of(double.class, VectorShape.forBitSize(FLOATS.vectorBitSize()));
        private static final int V = FLOATS.length();

        /** out = x + (a·gamma)·k, gamma or k (scaled = false) left out as in the scalar loop. */
        static int forward(float[] x, int xi, float[] a, int ai, float[] gamma, int go, boolean scaled, float k,
                           float[] out, int oi, int cols) {
            int end = cols / V * V;
            for (int c = 0; c < end; c += V) {
                FloatVector t = FloatVector.fromArray(FLOATS, a, ai + c);
                if (gamma != null) t = t.mul(FloatVector.fromArray(FLOATS, gamma, go + c));
                if (scaled || gamma == null) t = t.mul(k);
                FloatVector.fromArray(FLOATS, x, xi + c).add(t).intoArray(out, oi + c);
            }
            return end;
        }

        /** da (+)= (g·k)·gamma, as {@link #daRun}. */
        static int da(float[] g, int gi, float[] gamma, int go, boolean scaled, float k, float[] da, int di,
                      boolean accumulate, int cols) {
            int end = cols / V * V;
            for (int c = 0; c < end; c += V) {
                FloatVector t = FloatVector.fromArray(FLOATS, g, gi + c);
                if (scaled || gamma == null) t = t.mul(k);
                if (gamma != null) t = t.mul(FloatVector.fromArray(FLOATS, gamma, go + c));
                if (accumulate) t = FloatVector.fromArray(FLOATS, da, di + c).add(t);
                t.intoArray(da, di + c);
            }
            return end;
        }

        /** part[c] += (g·k)·a for c in [0, cols − cols mod V), each product widened to double. */
        static int sums(float[] g, int gi, float[] a, int ai, boolean scaled, float k, double[] part, int cols) {
            int end = cols / V * V, h = V / 2;
            for (int c = 0; c < end; c += V) {
                FloatVector gt = FloatVector.fromArray(FLOATS, g, gi + c);
                if (scaled) gt = gt.mul(k);
                FloatVector p = gt.mul(FloatVector.fromArray(FLOATS, a, ai + c));
                DoubleVector.fromArray(DOUBLES, part, c).add(p.convertShape(VectorOperators.F2D, DOUBLES, 0))
                        .intoArray(part, c);
                DoubleVector.fromArray(DOUBLES, part, c + h).add(p.convertShape(VectorOperators.F2D, DOUBLES, 1))
                        .intoArray(part, c + h);
            }
            return end;
        }
    }

    /** w elements of one row of da = (g·k)·gamma: the reference in scalar mode, and the tail after {@link Vec#da}. */
    private static void daRun(float[] g, int gi, float[] gamma, int gc, boolean scaled, float k, float[] da, int di,
                              boolean accumulate, int w) {
        if (gamma != null && scaled) {
            if (accumulate) for (int c = 0; c < w; c++) da[di + c] += g[gi + c] * k * gamma[gc + c];
            else for (int c = 0; c < w; c++) da[di + c] = g[gi + c] * k * gamma[gc + c];
        } else if (gamma != null) {
            if (accumulate) for (int c = 0; c < w; c++) da[di + c] += g[gi + c] * gamma[gc + c];
            else for (int c = 0; c < w; c++) da[di + c] = g[gi + c] * gamma[gc + c];
        } else {
            if (accumulate) for (int c = 0; c < w; c++) da[di + c] += g[gi + c] * k;
            else for (int c = 0; c < w; c++) da[di + c] = g[gi + c] * k;
        }
    }
}
