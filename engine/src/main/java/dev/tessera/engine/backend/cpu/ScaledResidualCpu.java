package dev.tessera.engine.backend.cpu;

/**
 * The CPU kernels of {@code Backend.scaledResidual}: a block's residual {@code x + drop_path(gamma * a)} (BEiT
 * §2.4 LayerScale from CaiT; drop path per sample) in one pass instead of three (multiply by gamma, multiply by
 * the sample's keep factor, add), and its backward in one pass instead of four. Every element is rounded exactly
 * as the separate ops round it (Java float arithmetic is IEEE per operation and never contracted to FMA), and
 * gamma's gradient is summed as broadcasting's backward sums it, one axis at a time in double ({@link ReduceCpu}'s
 * order): per sample over its rows, rounded to float, then over the samples. So the results are the bits of
 * {@code Backend}'s composed default, for any thread count: backward splits over columns, each task walking
 * every row of its columns in order.
 */
final class ScaledResidualCpu {
    private ScaledResidualCpu() {}

    /** Rows (of cols floats) per forward chunk target: about this many elements per task. */
    private static final int GRAIN = 16384;

    /** out = x + (a·gamma[c])·keep[s]; gamma or keep may be null (1). */
    static void forward(Parallel par, float[] x, int xo, float[] a, int ao, float[] gamma, int go, float[] keep, int ko,
                        int samples, int rows, int cols, float[] out, int oo) {
        int lines = samples * rows;
        par.forRange(lines, Math.max(1, GRAIN / Math.max(1, cols)), (from, to) -> {
            for (int line = from; line < to; line++) {
                int i = line * cols, s = line / rows;
                float k = keep == null ? 1f : keep[ko + s];
                if (gamma != null && keep != null) {
                    for (int c = 0; c < cols; c++) out[oo + i + c] = x[xo + i + c] + a[ao + i + c] * gamma[go + c] * k;
                } else if (gamma != null) {
                    for (int c = 0; c < cols; c++) out[oo + i + c] = x[xo + i + c] + a[ao + i + c] * gamma[go + c];
                } else {
                    for (int c = 0; c < cols; c++) out[oo + i + c] = x[xo + i + c] + a[ao + i + c] * k;
                }
            }
        });
    }

    /**
     * With gt = g·keep[s]: da = gt·gamma[c] (or += when accumulate; da may be null) and, when gamma and dgamma are
     * given, dgamma[c] = Σ_s float(Σ_r gt·a), written.
     */
    static void backward(Parallel par, float[] g, int gOff, float[] a, int ao, float[] gamma, int go, float[] keep, int ko,
                         int samples, int rows, int cols, float[] da, int dao, boolean accumulate, float[] dgamma, int dgo) {
        boolean sums = gamma != null && dgamma != null;
        // Column strips: at least 16 columns, about two per thread, so each task streams its part of every row.
        int strip = Math.max(16, (cols + 2 * par.threads() - 1) / (2 * par.threads()));
        int strips = (cols + strip - 1) / strip;
        long work = (long) samples * rows * cols;
        par.forRange(strips, work < GRAIN ? strips : 1, (from, to) -> {
            double[] part = new double[strip], total = new double[strip];
            for (int t = from; t < to; t++) {
                int c0 = t * strip, w = Math.min(strip, cols - c0);
                java.util.Arrays.fill(total, 0.0);
                for (int s = 0; s < samples; s++) {
                    float k = keep == null ? 1f : keep[ko + s];
                    java.util.Arrays.fill(part, 0.0);
                    for (int r = 0; r < rows; r++) {
                        int i = (s * rows + r) * cols + c0;
                        if (da != null) daRun(g, gOff + i, gamma, go + c0, keep != null, k, da, dao + i, accumulate, w);
                        if (sums) {
                            for (int c = 0; c < w; c++) {
                                float gt = keep != null ? g[gOff + i + c] * k : g[gOff + i + c];
                                part[c] += gt * a[ao + i + c];
                            }
                        }
                    }
                    if (sums) for (int c = 0; c < w; c++) total[c] += (float) part[c];
                }
                if (sums) for (int c = 0; c < w; c++) dgamma[dgo + c0 + c] = (float) total[c];
            }
        });
    }

    /** One row's w elements of da = (g·k)·gamma, each case a loop the JIT vectorises. */
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
