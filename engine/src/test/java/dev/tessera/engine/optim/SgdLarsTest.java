package dev.tessera.engine.optim;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.testing.Backends;
import org.junit.jupiter.api.Test;

class SgdLarsTest {
    final Backend be = Backends.cpu();

    @Test
    void sgdMatchesTorchSgdWithMomentumAndWeightDecay() {
        sgdMatchesTorch(false, 0.01f, 1);
    }

    @Test
    void nesterovSgdMatchesTorch() {
        sgdMatchesTorch(true, 0.01f, 2);
    }

    /**
     * torch.optim.SGD over three steps: d = g + wd·p; buf = d on the first step, then momentum·buf + d;
     * p −= lr·buf, or with nesterov p −= lr·(d + momentum·buf).
     */
    private void sgdMatchesTorch(boolean nesterov, float wd, long seed) {
        ParameterStore store = new ParameterStore(be, new TinyModel(be, "w", new int[] {3, 2}, "b", new int[] {3}));
        int n = store.size();
        Sgd opt = new Sgd(store, 0.9f, wd, nesterov);
        float[] p0 = be.download(store.values());
        double[] p = new double[n], buf = new double[n];
        for (int i = 0; i < n; i++) p[i] = p0[i];
        Rng rng = new Rng(seed);
        float[] lrs = {0.1f, 0.05f, 0.02f};
        for (int t = 0; t < 3; t++) {
            float[] g = rng.normal(n, 0, 1);
            be.upload(g, store.grads());
            opt.step(lrs[t]);
            for (int i = 0; i < n; i++) {
                double d = g[i] + wd * p[i];
                buf[i] = t == 0 ? d : 0.9 * buf[i] + d;
                p[i] -= lrs[t] * (nesterov ? d + 0.9 * buf[i] : buf[i]);
            }
        }
        assertClose(nesterov ? "nesterov" : "sgd", toFloat(p), be.download(store.values()), 1e-7, 1e-5);
    }

    @Test
    void larsFirstStepByHand() {
        // w = [[3, 0], [0, 4]] (‖w‖ = 5), g = [[1, 2], [2, 0]], wd 0.1: d = g + 0.1·w = [1.3, 2, 2, 0.4],
        // ‖d‖ = √9.85 = 3.1384710, q = 0.001·5/3.1384710 = 1.5931306e-3, mu = q·d, w −= 0.5·mu:
        // w[0] = 3 − 0.5·1.5931306e-3·1.3 = 2.99896447.
        // Bias b = [1, -1] with g = [0.5, 0.25] skips decay and trust ratio: b −= 0.5·g = [0.75, -1.125].
        ParameterStore store = new ParameterStore(be, new TinyModel(be, "w", new int[] {2, 2}, "b", new int[] {2}));
        be.upload(new float[] {3, 0, 0, 4, 1, -1}, store.values());
        be.upload(new float[] {1, 2, 2, 0, 0.5f, 0.25f}, store.grads());
        new Lars(store, 0.9f, 0.1f, 0.001f).step(0.5f);
        float[] v = be.download(store.values());
        assertEquals(2.99896447f, v[0], 1e-7f);
        assertEquals(0 - 0.5f * 1.5931306e-3f * 2f, v[1], 1e-8f);
        assertEquals(0.75f, v[4], 0f);
        assertEquals(-1.125f, v[5], 0f);
    }

    @Test
    void larsMatchesMaeLarsOverSteps() {
        ParameterStore store = new ParameterStore(be, new TinyModel(be,
                "head.weight", new int[] {3, 4}, "head.bias", new int[] {3}, "zero.weight", new int[] {2, 2}));
        be.upload(new float[4], store.values().slice(store.entry("zero.weight").offset(), 4));
        int n = store.size();
        Lars opt = new Lars(store, 0.9f, 0.05f, 0.001f);
        float[] p0 = be.download(store.values());
        double[] p = new double[n], mu = new double[n];
        for (int i = 0; i < n; i++) p[i] = p0[i];
        Rng rng = new Rng(2);
        for (int t = 0; t < 3; t++) {
            float[] g = rng.normal(n, 0, 1);
            be.upload(g, store.grads());
            opt.step(0.3f);
            // MAE util/lars.py, per parameter, in double.
            for (ParameterStore.Entry e : store.entries()) {
                int o = e.offset(), len = e.length();
                double[] d = new double[len];
                for (int i = 0; i < len; i++) d[i] = g[o + i];
                if (e.rank() > 1) {
                    double wn = 0, dn = 0;
                    for (int i = 0; i < len; i++) {
                        d[i] += 0.05 * p[o + i];
                        wn += p[o + i] * p[o + i];
                        dn += d[i] * d[i];
                    }
                    wn = Math.sqrt(wn);
                    dn = Math.sqrt(dn);
                    double q = wn > 0 && dn > 0 ? 0.001 * wn / dn : 1; // zero.weight starts at 0: q = 1
                    for (int i = 0; i < len; i++) d[i] *= q;
                }
                for (int i = 0; i < len; i++) {
                    mu[o + i] = 0.9 * mu[o + i] + d[i];
                    p[o + i] -= 0.3 * mu[o + i];
                }
            }
        }
        assertClose("lars", toFloat(p), be.download(store.values()), 1e-7, 1e-5);
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
