package dev.tessera.vit;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.vit.testing.Naive;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PatchEmbed, Attention and Block against plain loops written from docs/vit.md#patch-embedding, docs/vit.md#block (float32 model vs double
 * oracle; tolerance 1e-4 abs + 1e-4 rel covers float32 rounding over sums of ≤ 200 terms of size ~1).
 */
class ModulesTest {
    private final Backend be = Backends.cpu();

    private static float[] random(long seed, int n, float scale) {
        Rng r = new Rng(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (scale * r.nextGaussian());
        return v;
    }

    private static float[] value(Module m, String name) {
        return m.stateDict().get(name).toArray();
    }

    /** Random non-trivial values for every parameter (biases, LN affine, γ), so none of them can hide. */
    private static void randomize(Module m, long seed) {
        int i = 0;
        for (var e : m.stateDict().entrySet()) {
            Tensor t = e.getValue();
            float[] v = random(seed + i++, t.numel(), 0.3f);
            if (e.getKey().endsWith("norm1.weight") || e.getKey().endsWith("norm2.weight")) for (int k = 0; k < v.length; k++) v[k] += 1;
            t.copyFrom(v);
        }
    }

    @Test
    void patchEmbedIsAStridedConvolutionWithChannelFirstPatches() {
        int n = 2, c = 3, p = 4, g = 3, h = g * p, d = 8;
        PatchEmbed pe = new PatchEmbed(be, h, p, c, d, new Rng(3));
        assertArrayEquals(new int[] {d, c, p, p}, pe.stateDict().get("proj.weight").shape());
        assertArrayEquals(new int[] {d}, pe.stateDict().get("proj.bias").shape());
        randomize(pe, 10);
        float[] img = random(4, n * c * h * h, 1f), w = value(pe, "proj.weight"), b = value(pe, "proj.bias");
        float[] out = pe.forward(Tensor.of(be, img, n, c, h, h)).toArray();
        double[] ref = new double[n * g * g * d];
        for (int a = 0; a < n; a++)
            for (int r = 0; r < g; r++)
                for (int col = 0; col < g; col++)
                    for (int o = 0; o < d; o++) {
                        double s = b[o];
                        for (int ch = 0; ch < c; ch++)
                            for (int i = 0; i < p; i++)
                                for (int j = 0; j < p; j++)
                                    s += w[((o * c + ch) * p + i) * p + j] * img[((a * c + ch) * h + r * p + i) * h + col * p + j];
                        ref[((a * g * g) + r * g + col) * d + o] = s;
                    }
        assertClose("patch embed", Naive.toFloat(ref), out, 1e-4, 1e-4);
    }

    @Test
    void patchEmbedInitIsXavierOnTheFlatViewAndConvDefaultBias() {
        int c = 3, p = 16, d = 768;
        PatchEmbed pe = new PatchEmbed(be, 224, p, c, d, new Rng(5));
        float[] w = value(pe, "proj.weight"), b = value(pe, "proj.bias");
        double xb = Math.sqrt(6.0 / (c * p * p + d)), bb = 1 / Math.sqrt(c * p * p);
        double maxW = 0, maxB = 0, sq = 0;
        for (float v : w) {
            maxW = Math.max(maxW, Math.abs(v));
            sq += v * v;
        }
        for (float v : b) maxB = Math.max(maxB, Math.abs(v));
        assertTrue(maxW <= xb && maxW > 0.99 * xb, "weight bound " + maxW + " vs " + xb);
        assertEquals(xb * xb / 3, sq / w.length, 0.02 * xb * xb / 3, "uniform variance bound²/3");
        assertTrue(maxB <= bb && maxB > 0.9 * bb, "bias bound " + maxB + " vs ±0.036");
    }

    @Test
    void badImageSizeNamesExpectedAndActual() {
        PatchEmbed pe = new PatchEmbed(be, 28, 4, 1, 8, new Rng(3));
        var e = assertThrows(ShapeException.class, () -> pe.forward(Tensor.zeros(be, 2, 3, 32, 32)));
        assertTrue(e.getMessage().contains("[1, 28, 28]") && e.getMessage().contains("[3, 32, 32]"), e.getMessage());
        assertThrows(ShapeException.class, () -> pe.forward(Tensor.zeros(be, 28, 28)));
    }

    /** qkv weight [3D, D] split [q | k | v], each head-major; scale (D/h)^-½; proj. */
    private double[] referenceAttention(Module attn, String prefix, float[] x, int n, int t, int d, int heads, float[] qkvBias) {
        double[] xd = Naive.toDouble(x);
        double[] out = new double[n * t * d];
        for (int a = 0; a < n; a++) {
            double[] xs = java.util.Arrays.copyOfRange(xd, a * t * d, (a + 1) * t * d);
            double[] qkv = Naive.linear(xs, t, d, value(attn, prefix + "qkv.weight"), qkvBias, 3 * d);
            double[] heads_ = Naive.attentionHeads(qkv, t, d, heads);
            double[] o = Naive.linear(heads_, t, d, value(attn, prefix + "proj.weight"), value(attn, prefix + "proj.bias"), d);
            System.arraycopy(o, 0, out, a * t * d, t * d);
        }
        return out;
    }

    @Test
    void timmAttentionMatchesHeadMajorReference() {
        int n = 2, t = 5, d = 12, heads = 3;
        Attention attn = new Attention(be, d, heads, true, false, new Rng(7));
        assertEquals(List.of("qkv.weight", "qkv.bias", "proj.weight", "proj.bias"), List.copyOf(attn.stateDict().keySet()));
        randomize(attn, 20);
        float[] x = random(8, n * t * d, 1f);
        float[] out = attn.forward(Tensor.of(be, x, n, t, d)).toArray();
        assertClose("attention", Naive.toFloat(referenceAttention(attn, "", x, n, t, d, heads, value(attn, "qkv.bias"))), out, 1e-4, 1e-4);
    }

    @Test
    void beitAttentionAddsQAndVBiasButNoKBias() {
        int n = 2, t = 4, d = 8, heads = 2;
        Attention attn = new Attention(be, d, heads, false, true, new Rng(7));
        assertEquals(List.of("q_bias", "v_bias", "qkv.weight", "proj.weight", "proj.bias"), List.copyOf(attn.stateDict().keySet()));
        randomize(attn, 30);
        float[] qb = value(attn, "q_bias"), vb = value(attn, "v_bias"), bias = new float[3 * d];
        System.arraycopy(qb, 0, bias, 0, d);
        System.arraycopy(vb, 0, bias, 2 * d, d);           // k part stays 0
        float[] x = random(9, n * t * d, 1f);
        Tensor xt = Tensor.of(be, x, n, t, d);
        float[] out = attn.forward(xt).toArray();
        assertClose("BEiT attention", Naive.toFloat(referenceAttention(attn, "", x, n, t, d, heads, bias)), out, 1e-4, 1e-4);
        // gradients reach q_bias and v_bias
        attn.forward(xt).sum().backward();
        assertTrue(attn.namedParameters().get("q_bias").tensor().grad() != null);
        assertTrue(attn.namedParameters().get("v_bias").tensor().grad() != null);
    }

    @Test
    void qkvIsInitialisedAsOneXavierMatrix() {
        int d = 64;
        Attention attn = new Attention(be, d, 4, true, false, new Rng(11));
        float[] w = value(attn, "qkv.weight");
        double bound = Math.sqrt(6.0 / (d + 3 * d)), max = 0;
        for (float v : w) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound && max > 0.98 * bound, "max |w| " + max + " vs √(6/(D+3D)) " + bound);
        for (float v : value(attn, "qkv.bias")) assertEquals(0f, v);
    }

    @Test
    void blockIsPreNormWithLayerScale() {
        int n = 2, t = 5, d = 8, heads = 2, hidden = 32;
        Block blk = new Block(be, d, heads, hidden, false, true, 0.1, 0.0, new Rng(12));
        Map<String, Tensor> sd = blk.stateDict();
        assertEquals(List.of("gamma_1", "gamma_2", "norm1.weight", "norm1.bias", "attn.q_bias", "attn.v_bias",
                "attn.qkv.weight", "attn.proj.weight", "attn.proj.bias", "norm2.weight", "norm2.bias",
                "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"), List.copyOf(sd.keySet()));
        for (float g : value(blk, "gamma_1")) assertEquals(0.1f, g);
        randomize(blk, 40);
        float[] x = random(13, n * t * d, 1f);
        float[] out = blk.forward(Tensor.of(be, x, n, t, d)).toArray();

        float[] bias = new float[3 * d];
        System.arraycopy(value(blk, "attn.q_bias"), 0, bias, 0, d);
        System.arraycopy(value(blk, "attn.v_bias"), 0, bias, 2 * d, d);
        float[] g1 = value(blk, "gamma_1"), g2 = value(blk, "gamma_2");
        double[] h1 = Naive.layerNorm(Naive.toDouble(x), n * t, d, value(blk, "norm1.weight"), value(blk, "norm1.bias"), 1e-6);
        double[] a = referenceAttention(blk, "attn.", Naive.toFloat(h1), n, t, d, heads, bias);
        double[] y = new double[x.length];
        for (int i = 0; i < y.length; i++) y[i] = x[i] + g1[i % d] * a[i];
        double[] h2 = Naive.layerNorm(y, n * t, d, value(blk, "norm2.weight"), value(blk, "norm2.bias"), 1e-6);
        double[] m = Naive.linear(Naive.gelu(Naive.linear(h2, n * t, d, value(blk, "mlp.fc1.weight"), value(blk, "mlp.fc1.bias"), hidden)),
                n * t, hidden, value(blk, "mlp.fc2.weight"), value(blk, "mlp.fc2.bias"), d);
        double[] ref = new double[x.length];
        for (int i = 0; i < ref.length; i++) ref[i] = y[i] + g2[i % d] * m[i];
        assertClose("block", Naive.toFloat(ref), out, 1e-4, 1e-4);
    }

    @Test
    void dropPathRatesRiseLinearlyAndOnlyActInTraining() {
        assertArrayEquals(new double[] {0, 0.05, 0.1}, Block.dropPathRates(0.1, 3), 1e-12);
        assertArrayEquals(new double[] {0}, Block.dropPathRates(0.1, 1), 0);
        Block blk = new Block(be, 8, 2, 16, true, false, 0, 0.5, new Rng(1));
        Tensor x = Tensor.of(be, random(2, 64 * 3 * 8, 1f), 64, 3, 8);
        blk.train(false);
        float[] a = blk.forward(x).toArray(), b = blk.forward(x).toArray();
        assertArrayEquals(a, b, "evaluation is deterministic");
        blk.train(true);
        float[] c = blk.forward(x).toArray(), in = x.toArray();
        // A sample whose two branches are both dropped (probability ¼ each) passes through unchanged.
        int identity = 0;
        for (int s = 0; s < 64; s++) {
            boolean same = true;
            for (int k = 0; k < 24; k++) same &= c[s * 24 + k] == in[s * 24 + k];
            if (same) identity++;
        }
        assertTrue(identity > 0 && identity < 64, "some but not all samples skip the block: " + identity);
    }
}
