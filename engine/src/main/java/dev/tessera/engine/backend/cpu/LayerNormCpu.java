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
                int base = xo + r * cols;
                double mu = sum(x, base, cols) / cols;
                double rs = 1.0 / Math.sqrt(sumSquaredDeviations(x, base, cols, mu) / cols + eps);
                int yb = yo + r * cols;
                for (int c = 0; c < cols; c++) y[yb + c] = (float) ((x[base + c] - mu) * rs * w[wo + c] + b[bo + c]);
                mean[mo + r] = (float) mu;
                rstd[ro + r] = (float) rs;
            }
        });
    }

    /** Accumulates into dx, dw, db; each may be null. */
    public static void backward(Parallel par, float[] dy, int dyo, float[] x, int xo, float[] w, int wo,
                                float[] mean, int mo, float[] rstd, int ro,
                                float[] dx, int dxo, float[] dw, int dwo, float[] db, int dbo, int rows, int cols) {
        if (dx != null) {
            par.forRange(rows, 8, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int base = r * cols;
                    double mu = mean[mo + r], rs = rstd[ro + r];
                    // mean(g) and mean(g·x̂) with g = dy·w, four partial sums to shorten the add chain.
                    double g0 = 0, g1 = 0, g2 = 0, g3 = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0;
                    int c = 0;
                    for (; c + 4 <= cols; c += 4) {
                        double ga = (double) dy[dyo + base + c] * w[wo + c];
                        double gb = (double) dy[dyo + base + c + 1] * w[wo + c + 1];
                        double gc = (double) dy[dyo + base + c + 2] * w[wo + c + 2];
                        double gd = (double) dy[dyo + base + c + 3] * w[wo + c + 3];
                        g0 += ga;
                        g1 += gb;
                        g2 += gc;
                        g3 += gd;
                        h0 += ga * ((x[xo + base + c] - mu) * rs);
                        h1 += gb * ((x[xo + base + c + 1] - mu) * rs);
                        h2 += gc * ((x[xo + base + c + 2] - mu) * rs);
                        h3 += gd * ((x[xo + base + c + 3] - mu) * rs);
                    }
                    for (; c < cols; c++) {
                        double g = (double) dy[dyo + base + c] * w[wo + c];
                        g0 += g;
                        h0 += g * ((x[xo + base + c] - mu) * rs);
                    }
                    double sg = (g0 + g1 + g2 + g3) / cols, sgx = (h0 + h1 + h2 + h3) / cols;
                    for (c = 0; c < cols; c++) {
                        double g = (double) dy[dyo + base + c] * w[wo + c];
                        double xh = (x[xo + base + c] - mu) * rs;
                        dx[dxo + base + c] += (float) (rs * (g - sg - xh * sgx));
                    }
                }
            });
        }
        if (dw != null || db != null) columnSums(par, dy, dyo, x, xo, mean, mo, rstd, ro, dw, dwo, db, dbo, rows, cols);
    }

    /**
     * dw += Σ_rows dy·x̂ and db += Σ_rows dy (either may be null). Each column is summed over rows in order
     * (deterministic for any thread count), with the rows streamed front to back into a strip of per-column
     * double accumulators; threads own disjoint strips of columns.
     */
    static void columnSums(Parallel par, float[] dy, int dyo, float[] x, int xo, float[] mean, int mo,
                           float[] rstd, int ro, float[] dw, int dwo, float[] db, int dbo, int rows, int cols) {
        int strip = strip(cols, par.threads());
        int strips = (cols + strip - 1) / strip;
        par.forRange(strips, 1, (from, to) -> {
            double[] sw = new double[strip], sb = new double[strip];
            for (int t = from; t < to; t++) {
                int c0 = t * strip, n = Math.min(strip, cols - c0);
                java.util.Arrays.fill(sw, 0.0);
                java.util.Arrays.fill(sb, 0.0);
                for (int r = 0; r < rows; r++) {
                    int at = r * cols + c0;
                    addColumns(dy, dyo + at, x, xo + at, mean[mo + r], rstd[ro + r], sw, sb, 0, n);
                }
                storeColumns(sw, sb, dw, dwo + c0, db, dbo + c0, n);
            }
        });
    }

    /** One row's share of the column sums, columns [from, n) of a strip: sw += dy·((x − μ)·rstd), sb += dy, in double. */
    static void addColumns(float[] dy, int dyAt, float[] x, int xAt, double mu, double rs, double[] sw, double[] sb, int from, int n) {
        for (int i = from; i < n; i++) {
            double d = dy[dyAt + i];
            sw[i] += d * ((x[xAt + i] - mu) * rs);
            sb[i] += d;
        }
    }

    /** dw += sw, db += sb (either may be null) for the n columns of a strip. */
    static void storeColumns(double[] sw, double[] sb, float[] dw, int dwAt, float[] db, int dbAt, int n) {
        for (int i = 0; i < n; i++) {
            if (dw != null) dw[dwAt + i] += (float) sw[i];
            if (db != null) db[dbAt + i] += (float) sb[i];
        }
    }

    /**
     * Columns per strip of {@link #columnSums}: two strips per thread, at least 16 columns. Each column's sum is
     * the same whatever strip holds it, so the strip width changes only the balance, never the result.
     */
    static int strip(int cols, int threads) {
        return Math.max(16, (cols + 2 * threads - 1) / (2 * threads));
    }

    /** Σ x[at .. at+n) in double, four partial sums (a shorter dependency chain than one running sum). */
    private static double sum(float[] x, int at, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int c = 0;
        for (; c + 4 <= n; c += 4) {
            s0 += x[at + c];
            s1 += x[at + c + 1];
            s2 += x[at + c + 2];
            s3 += x[at + c + 3];
        }
        for (; c < n; c++) s0 += x[at + c];
        return (s0 + s1) + (s2 + s3);
    }

    /** Σ (x − mu)² over x[at .. at+n) in double (two-pass variance: no cancellation). */
    private static double sumSquaredDeviations(float[] x, int at, int n, double mu) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int c = 0;
        for (; c + 4 <= n; c += 4) {
            double d0 = x[at + c] - mu, d1 = x[at + c + 1] - mu, d2 = x[at + c + 2] - mu, d3 = x[at + c + 3] - mu;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; c < n; c++) {
            double d = x[at + c] - mu;
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }
}
