package dev.tessera.engine.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Layer norm on the Vector API: the formulas of {@link LayerNormCpu} (the oracle, statistics in double) with
 * each row's sums taken in float vector lanes. A lane sums cols/V elements (12 at width 192 on AVX-512), so
 * the row statistics are accurate to a few float ulps; per element the output is a float FMA chain. The row statistics use two passes (mean, then Σ(x − μ)²), as the oracle:
 * no cancellation. dw/db, column sums over all rows, are the oracle's arithmetic ({@link LayerNormCpu#columnSums}:
 * double accumulators, the same strips of columns, rows in order) with each float widened into double lanes
 * ({@link #columnSums}): every operation is the oracle's, in its order, so dw and db equal the oracle's bit for bit.
 * Parity with the oracle: {@code LayerNormCpuFastTest}.
 */
final class LayerNormCpuFast {
    private LayerNormCpuFast() {}

    private static final VectorSpecies<Float> SPECIES = SgemmVector.SPECIES;
    private static final int V = SPECIES.length();

    static void forward(Parallel par, float[] x, int xo, float[] w, int wo, float[] b, int bo,
                        float[] y, int yo, float[] mean, int mo, float[] rstd, int ro, int rows, int cols, float eps) {
        int cv = cols / V * V;
        par.forRange(rows, 8, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xb = xo + r * cols, yb = yo + r * cols;
                // Sum x − x₀ (x₀ the row's first element): small terms, so float lanes lose nothing to a
                // large common offset; μ = x₀ + Σ/n in double, then split into float hi + lo so that
                // x − μ = (x − hi) − lo keeps μ's double accuracy.
                float x0 = x[xb];
                FloatVector acc = FloatVector.zero(SPECIES);
                for (int c = 0; c < cv; c += V) acc = acc.add(FloatVector.fromArray(SPECIES, x, xb + c).sub(x0));
                double s = laneSum(acc);
                for (int c = cv; c < cols; c++) s += x[xb + c] - x0;
                double mu = x0 + s / cols;
                float hi = (float) mu, lo = (float) (mu - hi);
                FloatVector sq = FloatVector.zero(SPECIES);
                for (int c = 0; c < cv; c += V) {
                    FloatVector d = FloatVector.fromArray(SPECIES, x, xb + c).sub(hi).sub(lo);
                    sq = d.fma(d, sq);
                }
                double v = laneSum(sq);
                for (int c = cv; c < cols; c++) v += (x[xb + c] - mu) * (x[xb + c] - mu);
                double rs = 1.0 / Math.sqrt(v / cols + eps);
                float rsf = (float) rs;
                for (int c = 0; c < cv; c += V) {
                    FloatVector xh = FloatVector.fromArray(SPECIES, x, xb + c).sub(hi).sub(lo).mul(rsf);
                    xh.fma(FloatVector.fromArray(SPECIES, w, wo + c), FloatVector.fromArray(SPECIES, b, bo + c))
                            .intoArray(y, yb + c);
                }
                for (int c = cv; c < cols; c++) y[yb + c] = (x[xb + c] - hi - lo) * rsf * w[wo + c] + b[bo + c];
                mean[mo + r] = hi;
                rstd[ro + r] = rsf;
            }
        });
    }

    /** Accumulates into dx, dw, db; each may be null. */
    static void backward(Parallel par, float[] dy, int dyo, float[] x, int xo, float[] w, int wo,
                         float[] mean, int mo, float[] rstd, int ro,
                         float[] dx, int dxo, float[] dw, int dwo, float[] db, int dbo, int rows, int cols) {
        int cv = cols / V * V;
        if (dx != null) {
            par.forRange(rows, 8, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int base = r * cols;
                    float mu = mean[mo + r], rs = rstd[ro + r];
                    // mean(g) and mean(g·x̂) with g = dy·w, x̂ = (x − μ)·rstd
                    FloatVector ag = FloatVector.zero(SPECIES), agx = FloatVector.zero(SPECIES);
                    for (int c = 0; c < cv; c += V) {
                        FloatVector g = FloatVector.fromArray(SPECIES, dy, dyo + base + c).mul(FloatVector.fromArray(SPECIES, w, wo + c));
                        FloatVector xh = FloatVector.fromArray(SPECIES, x, xo + base + c).sub(mu).mul(rs);
                        ag = ag.add(g);
                        agx = g.fma(xh, agx);
                    }
                    double sg = laneSum(ag), sgx = laneSum(agx);
                    for (int c = cv; c < cols; c++) {
                        double g = (double) dy[dyo + base + c] * w[wo + c];
                        sg += g;
                        sgx += g * ((x[xo + base + c] - mu) * rs);
                    }
                    float mg = (float) (sg / cols), mgx = (float) (sgx / cols);
                    for (int c = 0; c < cv; c += V) {
                        FloatVector g = FloatVector.fromArray(SPECIES, dy, dyo + base + c).mul(FloatVector.fromArray(SPECIES, w, wo + c));
                        FloatVector xh = FloatVector.fromArray(SPECIES, x, xo + base + c).sub(mu).mul(rs);
                        // dx += rstd·(g − mean(g) − x̂·mean(g·x̂))
                        FloatVector d = g.sub(mg).sub(xh.mul(mgx)).mul(rs);
                        FloatVector.fromArray(SPECIES, dx, dxo + base + c).add(d).intoArray(dx, dxo + base + c);
                    }
                    for (int c = cv; c < cols; c++) {
                        float g = dy[dyo + base + c] * w[wo + c], xh = (x[xo + base + c] - mu) * rs;
                        dx[dxo + base + c] += rs * (g - mg - xh * mgx);
                    }
                }
            });
        }
        if (dw != null || db != null) {
            columnSums(par, dy, dyo, x, xo, mean, mo, rstd, ro, dw, dwo, db, dbo, rows, cols);
        }
    }

    /** Doubles in a full-width vector, and the half-width float species that widens into it lane for lane. */
    private static final VectorSpecies<Double> DOUBLES =
            VectorSpecies.of(double.class, VectorShape.forBitSize(SPECIES.vectorBitSize()));
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class, VectorShape.forBitSize(SPECIES.vectorBitSize() / 2));
    private static final int D = DOUBLES.length();

    /**
     * {@link LayerNormCpu#columnSums} on double vectors: dw[c] += Σ_r dy·((x − μ_r)·rstd_r), db[c] += Σ_r dy, each
     * sum in double over rows in increasing order, columns split into the oracle's strips. The lanes do exactly
     * the scalar loop's operations (widen, subtract, two multiplies, add), so the result is identical.
     */
    static void columnSums(Parallel par, float[] dy, int dyo, float[] x, int xo, float[] mean, int mo,
                           float[] rstd, int ro, float[] dw, int dwo, float[] db, int dbo, int rows, int cols) {
        int strip = LayerNormCpu.strip(cols, par.threads());
        int strips = (cols + strip - 1) / strip;
        par.forRange(strips, 1, (from, to) -> {
            double[] sw = new double[strip], sb = new double[strip];
            for (int t = from; t < to; t++) {
                int c0 = t * strip, n = Math.min(strip, cols - c0), nv = n / D * D;
                java.util.Arrays.fill(sw, 0.0);
                java.util.Arrays.fill(sb, 0.0);
                for (int r = 0; r < rows; r++) {
                    int at = r * cols + c0;
                    double mu = mean[mo + r], rs = rstd[ro + r];
                    int i = 0;
                    for (; i < nv; i += D) {
                        DoubleVector d = widen(dy, dyo + at + i), xv = widen(x, xo + at + i);
                        DoubleVector.fromArray(DOUBLES, sw, i).add(d.mul(xv.sub(mu).mul(rs))).intoArray(sw, i);
                        DoubleVector.fromArray(DOUBLES, sb, i).add(d).intoArray(sb, i);
                    }
                    LayerNormCpu.addColumns(dy, dyo + at, x, xo + at, mu, rs, sw, sb, i, n);
                }
                LayerNormCpu.storeColumns(sw, sb, dw, dwo + c0, db, dbo + c0, n);
            }
        });
    }

    private static DoubleVector widen(float[] a, int at) {
        return (DoubleVector) FloatVector.fromArray(HALF, a, at).convertShape(VectorOperators.F2D, DOUBLES, 0);
    }

    private static double laneSum(FloatVector v) {
        return VectorMath.sum(v);
    }
}
