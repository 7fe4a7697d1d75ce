package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.AdamWStep;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Three AdamW steps against torch.optim.AdamW's update written out in double:
 * p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1−β1^t))·m / (√v / √(1−β2^t) + eps).
 * n = 20,000 spans several parallel chunks.
 */
class AdamWCpuTest {
    static final Parallel PAR = new Parallel(2);

    @AfterAll
    static void close() {
        PAR.close();
    }

    @Test
    void threeStepsMatchTheTorchFormula() {
        int n = 20_000;
        float lr = 1.5e-4f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.05f;
        float[] p = LayerNormCpuTest.random(1, n, -1, 1);
        float[] m = new float[n], v = new float[n];
        double[] ep = LayerNormCpuTest.toDouble(p), em = new double[n], ev = new double[n];
        for (int t = 1; t <= 3; t++) {
            float[] g = LayerNormCpuTest.random(10 + t, n, -2, 2);
            g[0] = 0f; // a zero gradient: only the decay moves the parameter at step 1
            AdamWCpu.step(PAR, p, 0, g, 0, m, 0, v, 0, n, new AdamWStep(lr, b1, b2, eps, wd, t));
            double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
            for (int i = 0; i < n; i++) {
                ep[i] *= 1 - (double) lr * wd;
                em[i] = b1 * em[i] + (1 - (double) b1) * g[i];
                ev[i] = b2 * ev[i] + (1 - (double) b2) * g[i] * g[i];
                ep[i] -= lr / bc1 * em[i] / (Math.sqrt(ev[i]) / Math.sqrt(bc2) + eps);
            }
            // The float kernel drifts from double by a few ulps per step of |p| ~ 1.
            assertClose("p after step " + t, toFloat(ep), p, 1e-6, 1e-6);
            assertClose("m after step " + t, toFloat(em), m, 1e-7, 1e-5);
            assertClose("v after step " + t, toFloat(ev), v, 1e-7, 1e-5);
        }
    }

    @Test
    void reportsWhetherItWroteANonFiniteValue() {
        float[] p = {1, 2, 3}, g = {0.1f, -0.2f, 0.3f}, m = new float[3], v = new float[3];
        AdamWStep s = new AdamWStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, 1);
        assertEquals(false, AdamWCpu.step(PAR, p, 0, g, 0, m, 0, v, 0, 3, s));
        g[1] = 1e30f;                                   // (1 − β2)·g² overflows: v = +∞ while m and p stay finite
        assertEquals(true, AdamWCpu.step(PAR, p, 0, g, 0, m, 0, v, 0, 3, s));
        assertEquals(Float.POSITIVE_INFINITY, v[1]);
        assertTrue(Float.isFinite(p[1]) && Float.isFinite(m[1]), "only v overflowed, which the loss would not show");

        try (CpuBackend be = new CpuBackend(1); dev.tessera.engine.backend.StepScope scope = be.openScope()) {
            var bp = be.allocate(2);
            var bg = be.allocate(2);
            var bm = be.allocate(2);
            var bv = be.allocate(2);
            be.upload(new float[] {1, 2}, bp);
            be.upload(new float[] {1e30f, 0}, bg);
            assertEquals(false, be.adamWNonFinite());
            be.adamW(bp, bg, bm, bv, s);
            assertEquals(true, be.adamWNonFinite());
            assertEquals(false, be.adamWNonFinite(), "reading clears it");
        }
    }

    @Test
    void offsetsAddressTheRightRange() {
        float[] p = {7, 1, 7}, g = {7, 7, 2}, m = {7, 0}, v = {0, 7};
        AdamWCpu.step(PAR, p, 1, g, 2, m, 1, v, 0, 1, new AdamWStep(0.1f, 0.9f, 0.999f, 0f, 0f, 1));
        // Step 1 without decay: m̂ = g, v̂ = g², so p moves by exactly lr·sign(g).
        assertClose("p", new float[] {7, 0.9f, 7}, p, 1e-7, 0);
        assertClose("m", new float[] {7, 0.2f}, m, 1e-7, 0);
        // (1 − β2)·g² with β2 as the float 0.999f (≈ 0.99900001), not the decimal 0.999.
        assertClose("v", new float[] {(float) ((1 - (double) 0.999f) * 4), 7}, v, 1e-9, 1e-6);
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
