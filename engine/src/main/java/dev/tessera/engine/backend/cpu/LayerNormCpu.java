package dev.tessera.engine.backend.cpu;

/**
 * Layer norm over the last axis (Ba et al. 2016), the CPU reference that {@code LayerNormCuda} is tested
 * against. Forward: y = (x − μ)·r·w + b with r = 1/√(σ² + eps), σ² the biased variance. Backward, with
 * x̂ = (x − μ)·r and g = dy·w:  dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dw = Σ_rows dy·x̂,  db = Σ_rows dy.
 * Statistics are computed in double; mean and rstd are saved per row for backward.
 */
public final class LayerNormCpu {
    private LayerNormCpu() {}

    public static void forward(Parallel par, float[] x, int xo, float[] w, int wo, float[] b, int bo,
                               float[] y, int yo, float[] mean, int mo, float[] rstd, int ro,
                               int rows, int cols, float eps) {
        par.forRange(rows, 8, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * cols;
                double s = 0;
                for (int c = 0; c < cols; c++) s += x[xo + base + c];
                double mu = s / cols, v = 0;
                for (int c = 0; c < cols; c++) {
                    double d = x[xo + base + c] - mu;
                    v += d * d;
                }
                double rs = 1.0 / Math.sqrt(v / cols + eps);
                for (int c = 0; c < cols; c++) {
                    y[yo + base + c] = (float) ((x[xo + base + c] - mu) * rs * w[wo + c] + b[bo + c]);
                }
                mean[mo + r] = (float) mu;
                rstd[ro + r] = (float) rs;
            }
        });
    }

    /** Accumulates into dx, dw, db; each may be null. dw/db are summed over rows serially (deterministic). */
    public static void backward(Parallel par, float[] dy, int dyo, float[] x, int xo, float[] w, int wo,
                                float[] mean, int mo, float[] rstd, int ro,
                                float[] dx, int dxo, float[] dw, int dwo, float[] db, int dbo, int rows, int cols) {
        if (dx != null) {
            par.forRange(rows, 8, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int base = r * cols;
                    double mu = mean[mo + r], rs = rstd[ro + r];
                    double sg = 0, sgx = 0;
                    for (int c = 0; c < cols; c++) {
                        double g = dy[dyo + base + c] * w[wo + c];
                        double xh = (x[xo + base + c] - mu) * rs;
                        sg += g;
                        sgx += g * xh;
                    }
                    sg /= cols;
                    sgx /= cols;
                    for (int c = 0; c < cols; c++) {
                        double g = dy[dyo + base + c] * w[wo + c];
                        double xh = (x[xo + base + c] - mu) * rs;
                        dx[dxo + base + c] += (float) (rs * (g - sg - xh * sgx));
                    }
                }
            });
        }
        if (dw != null || db != null) {
            par.forRange(cols, 16, (from, to) -> {
                for (int c = from; c < to; c++) {
                    double sw = 0, sb = 0;
                    for (int r = 0; r < rows; r++) {
                        double d = dy[dyo + r * cols + c];
                        sw += d * (x[xo + r * cols + c] - mean[mo + r]) * rstd[ro + r];
                        sb += d;
                    }
                    if (dw != null) dw[dwo + c] += (float) sw;
                    if (db != null) db[dbo + c] += (float) sb;
                }
            });
        }
    }
}
