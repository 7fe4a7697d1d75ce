package dev.tessera.engine.ops;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** The fused attention op against the definition softmax(q·kᵀ·scale)·v written as loops in double. */
class AttentionOpTest {
    final Backend be = Backends.cpu();

    static float[] naive(float[] q, float[] k, float[] v, int bh, int lq, int lk, int d, double scale) {
        float[] out = new float[bh * lq * d];
        for (int h = 0; h < bh; h++)
            for (int i = 0; i < lq; i++) {
                double[] s = new double[lk];
                double m = Double.NEGATIVE_INFINITY, z = 0;
                for (int j = 0; j < lk; j++) {
                    for (int c = 0; c < d; c++) s[j] += (double) q[(h * lq + i) * d + c] * k[(h * lk + j) * d + c];
                    s[j] *= scale;
                    m = Math.max(m, s[j]);
                }
                for (int j = 0; j < lk; j++) z += Math.exp(s[j] - m);
                for (int c = 0; c < d; c++) {
                    double o = 0;
                    for (int j = 0; j < lk; j++) o += Math.exp(s[j] - m) / z * v[(h * lk + j) * d + c];
                    out[(h * lq + i) * d + c] = (float) o;
                }
            }
        return out;
    }

    @Test
    void selfAttentionSeveralHeads() {
        int b = 2, h = 3, l = 5, d = 4;
        float scale = (float) (1 / Math.sqrt(d));
        Tensor q = GradCheck.random(be, 1, -1f, 1f, b, h, l, d), k = GradCheck.random(be, 2, -1f, 1f, b, h, l, d);
        Tensor v = GradCheck.random(be, 3, -1f, 1f, b, h, l, d);
        Tensor o = Tensor.attention(q, k, v, scale);
        assertArrayEquals(new int[] {b, h, l, d}, o.shape());
        assertClose("attention", naive(q.toArray(), k.toArray(), v.toArray(), b * h, l, l, d, scale), o.toArray(), 1e-6, 1e-5);
        GradCheck.check("attention self", t -> Tensor.attention(t[0], t[1], t[2], scale), q, k, v);
        // One tensor as q, k and v: the three gradients add up in one buffer.
        GradCheck.check("attention q=k=v", t -> Tensor.attention(t[0], t[0], t[0], 0.7f), q);
    }

    @Test
    void crossAttentionWithFewerQueriesThanKeys() {
        int b = 2, h = 2, lq = 3, lk = 6, d = 4;
        Tensor q = GradCheck.random(be, 4, -1f, 1f, b, h, lq, d), k = GradCheck.random(be, 5, -1f, 1f, b, h, lk, d);
        Tensor v = GradCheck.random(be, 6, -1f, 1f, b, h, lk, d);
        Tensor o = Tensor.attention(q, k, v, 0.5f);
        assertArrayEquals(new int[] {b, h, lq, d}, o.shape());
        assertClose("cross-attention", naive(q.toArray(), k.toArray(), v.toArray(), b * h, lq, lk, d, 0.5), o.toArray(), 1e-6, 1e-5);
        GradCheck.check("attention cross", t -> Tensor.attention(t[0], t[1], t[2], 0.5f), q, k, v);
    }

    @Test
    void headsSplitFromTokensAsInTheViTBlock() {
        // [N, L, H·dh] → [N, H, L, dh] is a permuted (strided) view; attention makes it contiguous.
        int n = 2, l = 4, h = 2, d = 3;
        Tensor x = GradCheck.random(be, 7, -1f, 1f, n, l, h * d);
        float[] xv = x.toArray(), heads = new float[xv.length];
        for (int s = 0; s < n; s++)
            for (int t = 0; t < l; t++)
                for (int hh = 0; hh < h; hh++)
                    for (int c = 0; c < d; c++) heads[((s * h + hh) * l + t) * d + c] = xv[(s * l + t) * h * d + hh * d + c];
        Tensor split = x.reshape(n, l, h, d).permute(0, 2, 1, 3);
        assertClose("attention of strided heads", naive(heads, heads, heads, n * h, l, l, d, 0.6),
                Tensor.attention(split, split, split, 0.6f).toArray(), 1e-6, 1e-5);
        GradCheck.check("attention strided heads", t -> {
            Tensor s = t[0].reshape(n, l, h, d).permute(0, 2, 1, 3);
            return Tensor.attention(s, s, s, 0.6f).permute(0, 2, 1, 3).reshape(n, l, h * d);
        }, x);
    }

    @Test
    void shapeErrorsNameTheShapes() {
        Tensor q = Tensor.zeros(be, 2, 3, 4, 8);
        ShapeException kv = assertThrows(ShapeException.class,
                () -> Tensor.attention(q, Tensor.zeros(be, 2, 3, 5, 8), Tensor.zeros(be, 2, 3, 6, 8), 1f));
        assertTrue(kv.getMessage().contains("attention") && kv.getMessage().contains("[2, 3, 5, 8]")
                && kv.getMessage().contains("[2, 3, 6, 8]"), kv.getMessage());
        Tensor k = Tensor.zeros(be, 2, 3, 5, 4);
        ShapeException dh = assertThrows(ShapeException.class, () -> Tensor.attention(q, k, k, 1f));
        assertTrue(dh.getMessage().contains("[2, 3, 4, 8]") && dh.getMessage().contains("[2, 3, 5, 4]"), dh.getMessage());
        ShapeException rank = assertThrows(ShapeException.class,
                () -> Tensor.attention(Tensor.zeros(be, 3, 4, 8), Tensor.zeros(be, 3, 4, 8), Tensor.zeros(be, 3, 4, 8), 1f));
        assertTrue(rank.getMessage().contains("[3, 4, 8]"), rank.getMessage());
    }
}
