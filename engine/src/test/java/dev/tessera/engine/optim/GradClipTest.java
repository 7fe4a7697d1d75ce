package dev.tessera.engine.optim;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.testing.Backends;
import org.junit.jupiter.api.Test;

class GradClipTest {
    final Backend be = Backends.cpu();

    @Test
    void clipsToMaxNormAsTorchAndReturnsThePreClipNorm() {
        ParameterStore store = new ParameterStore(be, new TinyModel(be, "a", new int[] {1}, "b", new int[] {2, 1}));
        be.upload(new float[] {3, 0, -4}, store.grads());
        assertEquals(5f, GradClip.clipGlobalNorm(store, 10f), 1e-6f);
        assertClose("not clipped", new float[] {3, 0, -4}, be.download(store.grads()), 0, 0);
        assertEquals(5f, GradClip.clipGlobalNorm(store, 1f), 1e-6f);
        // torch: coef = maxNorm/(norm + 1e-6).
        float c = (float) (1 / (5 + 1e-6));
        assertClose("clipped", new float[] {3 * c, 0, -4 * c}, be.download(store.grads()), 1e-7, 1e-6);
        assertEquals(1.0, GradClip.globalNorm(store), 1e-6);
    }

    @Test
    void normSpansChunks() {
        int n = 3 * Norms.CHUNK + 5;
        ParameterStore store = new ParameterStore(be, new TinyModel(be, "big", new int[] {n}));
        be.fill(store.grads(), 0.5f);
        be.upload(new float[] {100}, store.grads().slice(n - 1, 1));
        // Σ g² = 0.25·(n − 1) + 100².
        double expected = Math.sqrt(0.25 * (n - 1) + 10_000);
        assertEquals(expected, GradClip.globalNorm(store), 1e-6 * expected);
    }

    @Test
    void fusedClipComputesTheNormTheChunkedPrimitivesDoToTheLastBit() {
        int n = 2 * Norms.CHUNK + 777;
        ParameterStore store = new ParameterStore(be, new TinyModel(be, "big", new int[] {n}));
        float[] g = new float[n];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < n; i++) g[i] = (float) r.nextGaussian() * (i % 7 == 0 ? 10f : 0.01f);
        be.upload(g, store.grads());
        float viaPrimitives = (float) GradClip.globalNorm(store);
        float fused = GradClip.clipGlobalNorm(store, 1f);
        // The fused op sums each chunk in 32 interleaved double lanes, the primitives in one running double sum:
        // the same float but for, rarely, the last bit.
        assertEquals(viaPrimitives, fused, Math.ulp(viaPrimitives), "norm");
        float c = (float) (1 / (fused + 1e-6));
        float[] clipped = be.download(store.grads());
        for (int i = 0; i < n; i += 9973) assertEquals(c * g[i], clipped[i], "element " + i);
    }

    @Test
    void nonFiniteNormLeavesGradientsAlone() {
        ParameterStore store = new ParameterStore(be, new TinyModel(be, "a", new int[] {3}));
        be.upload(new float[] {1, Float.NaN, 2}, store.grads());
        assertTrue(Float.isNaN(GradClip.clipGlobalNorm(store, 1f)));
        float[] g = be.download(store.grads());
        assertEquals(1f, g[0]);
        assertEquals(2f, g[2]);
    }
}
