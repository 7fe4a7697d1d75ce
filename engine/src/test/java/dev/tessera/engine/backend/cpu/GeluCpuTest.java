package dev.tessera.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Erf;
import dev.tessera.engine.backend.UnaryOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The float erf/GELU kernels against the double-precision definitions ({@link Erf#erf}, and
 * {@link UnaryOp#GELU}/{@link BinaryOp#GELU_GRAD}'s formulas written out in double) on a dense grid of
 * 480,001 points over [−12, 12], which covers every branch and the switch between them at |x/√2| = 1.
 * The bounds asserted are the documented ones in {@link GeluCpu} (about 1 ulp of the values involved),
 * rounded up.
 * The vector loops are checked against the scalar twins, including loop tails and special values.
 */
class GeluCpuTest {
    static final Parallel PAR = new Parallel(2);
    static final int N = 480_001;
    static final double LO = -12, HI = 12;

    @AfterAll
    static void close() {
        PAR.close();
    }

    static float[] grid() {
        float[] x = new float[N];
        for (int i = 0; i < N; i++) x[i] = (float) (LO + (HI - LO) * i / (N - 1));
        return x;
    }

    /** Φ(x) in double from Erf.erf; for x &lt; 0 through the symmetry 1 + erf(−a) = 1 − erf(a). */
    static double cdf(double x) {
        return 0.5 * (1.0 + Erf.erf(x / Math.sqrt(2.0)));
    }

    @Test
    void erfWithinAboutOneUlpOfTheDoubleDefinition() {
        double worst = 0;
        for (float x : grid()) {
            float z = x / 4;                                              // erf's interesting range is [−3, 3]
            worst = Math.max(worst, Math.abs(GeluCpu.erf(z) - Erf.erf(z)));
        }
        assertTrue(worst <= 1e-7, "max |erf error| " + worst);
        assertEquals(0f, GeluCpu.erf(0f));
        assertEquals(1f, GeluCpu.erf(10f));
        assertEquals(-1f, GeluCpu.erf(-10f));
    }

    @Test
    void geluMatchesTheExactErfForm() {
        float[] x = grid(), y = new float[N];
        GeluCpu.forward(PAR, x, 0, y, 0, N);
        double worstAbs = 0, worstRel = 0;
        for (int i = 0; i < N; i++) {
            double e = x[i] * cdf(x[i]), err = Math.abs(y[i] - e);
            worstAbs = Math.max(worstAbs, err);
            // Relative error where the double reference itself is exact to ~1e-9 relative (Φ > 1e-7).
            if (Math.abs(e) > 1e-6) worstRel = Math.max(worstRel, err / Math.abs(e));
        }
        assertTrue(worstAbs <= 4e-7, "max |gelu error| " + worstAbs);
        assertTrue(worstRel <= 3e-6, "max relative gelu error " + worstRel);
    }

    @Test
    void geluGradMatchesTheDerivative() {
        float[] a = grid(), b = new float[N], out = new float[N];
        java.util.Arrays.fill(b, 1f);
        GeluCpu.backward(PAR, a, 0, b, 0, out, 0, N);
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double x = a[i], e = cdf(x) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
            worst = Math.max(worst, Math.abs(out[i] - e));
        }
        assertTrue(worst <= 2e-7, "max |gelu' error| " + worst);
    }

    @Test
    void vectorLoopsAgreeWithScalarTwins() {
        // An odd length and an offset, so the scalar tail runs too; in-place output (y aliases x).
        int n = 1037, off = 5;
        float[] x = LayerNormCpuTest.random(3, n + off, -7, 7), g = LayerNormCpuTest.random(4, n + off, -2, 2);
        x[off] = 0f;
        x[off + 1] = -0f;
        x[off + 2] = Float.NaN;
        x[off + 3] = Float.POSITIVE_INFINITY;
        x[off + 4] = 1e30f;
        x[off + 5] = -1e30f;
        x[off + 6] = 1f * (float) Math.sqrt(2);                          // exactly at the branch switch
        float[] y = x.clone(), d = new float[n + off];
        GeluCpu.forward(PAR, y, off, y, off, n);
        GeluCpu.backward(PAR, x, off, g, off, d, off, n);
        for (int i = off; i < n + off; i++) {
            float ey = GeluCpu.gelu(x[i]), ed = GeluCpu.geluGrad(x[i], g[i]);
            assertTrue(close(ey, y[i]), "gelu(" + x[i] + "): scalar " + ey + " vector " + y[i]);
            // gelu' crosses zero near x = −0.75, where relative agreement is meaningless: compare against |g|.
            assertTrue(close(ed, d[i]) || Math.abs(ed - d[i]) <= 1e-7 * Math.abs(g[i]),
                    "gelu'(" + x[i] + "): scalar " + ed + " vector " + d[i]);
        }
        assertEquals(0f, y[off]);
        assertTrue(Float.isNaN(y[off + 2]));
        assertEquals(Float.POSITIVE_INFINITY, y[off + 3]);
        assertEquals(1e30f, y[off + 4]);
        assertEquals(0f, y[off + 5], 0f);
    }

    /** Equal up to 2 ulps (exp and FMA may round differently in the two loops), or both NaN. */
    static boolean close(float a, float b) {
        if (Float.isNaN(a) || Float.isNaN(b)) return Float.isNaN(a) && Float.isNaN(b);
        if (a == b) return true;
        return Math.abs(a - b) <= 2 * Math.max(Math.ulp(a), Math.ulp(b)) + 1e-38;
    }

    /**
     * The same bits for 1, 2 and 3 threads, and for a split learned from an uneven pair of threads: the chunks are
     * whole blocks, so the scalar tail only ever takes n's last elements (with chunks cut at any element, 1 of
     * these 139,269 gradients differed between 1 and 3 threads).
     */
    @Test
    void forwardAndBackwardBitsDoNotDependOnTheSplit() {
        int n = 272 * 512 + 5;
        java.util.SplittableRandom r = new java.util.SplittableRandom(2);
        float[] x = new float[n], g = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 3);
            g[i] = (float) r.nextGaussian();
        }
        float[] y1 = new float[n], d1 = new float[n];
        try (Parallel one = new Parallel(1)) {
            GeluCpu.forward(one, x, 0, y1, 0, n);
            GeluCpu.backward(one, x, 0, g, 0, d1, 0, n);
        }
        for (int threads = 2; threads <= 3; threads++) {
            try (Parallel par = new Parallel(threads)) {
                Thread caller = Thread.currentThread();
                // Teach the pool an uneven split first (the caller four times as fast as its workers).
                for (int i = 0; i < 6; i++) {
                    par.forWeighted(60, (from, to) -> java.util.concurrent.locks.LockSupport.parkNanos(
                            (to - from) * (Thread.currentThread() == caller ? 40_000L : 160_000L)));
                }
                float[] y = new float[n], d = new float[n];
                GeluCpu.forward(par, x, 0, y, 0, n);
                GeluCpu.backward(par, x, 0, g, 0, d, 0, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(y1[i]), Float.floatToRawIntBits(y[i]), threads + " threads, gelu(x[" + i + "])");
                    assertEquals(Float.floatToRawIntBits(d1[i]), Float.floatToRawIntBits(d[i]), threads + " threads, gelu'(x[" + i + "])");
                }
            }
        }
    }
}
