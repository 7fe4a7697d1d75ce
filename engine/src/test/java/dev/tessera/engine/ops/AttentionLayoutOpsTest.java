package dev.tessera.engine.ops;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Precision;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The token-major entry points of {@link AttentionOp}: {@code selfAttention} on a packed qkv [N, T, 3D] and the
 * token-major {@code attention(q, k, v, heads, scale)}. Each is checked against finite differences, and against
 * the composition it replaces (timm's reshape/permute/contiguous head split, the [B, H, L, dh] op, and the
 * transpose/reshape merge) bit for bit: the layout only changes where rows are read and written, never a sum.
 */
class AttentionLayoutOpsTest {
    final Backend be = Backends.cpu();

    /** timm's Attention.forward around the head-major op: the composition selfAttention replaces. */
    static Tensor composedSelfAttention(Tensor qkv, int heads, float scale) {
        int n = qkv.dim(0), t = qkv.dim(1), dim = qkv.dim(2) / 3, dh = dim / heads;
        Tensor p = qkv.reshape(n, t, 3, heads, dh).permute(2, 0, 3, 1, 4).contiguous();   // [3, N, h, T, dh]
        Tensor q = p.narrow(0, 0, 1).reshape(n, heads, t, dh);
        Tensor k = p.narrow(0, 1, 1).reshape(n, heads, t, dh);
        Tensor v = p.narrow(0, 2, 1).reshape(n, heads, t, dh);
        return Tensor.attention(q, k, v, scale).transpose(1, 2).reshape(n, t, dim);
    }

    /** CAE's CrossAttention before: split heads by reshape/transpose, head-major op, merge by transpose/reshape. */
    static Tensor composedAttention(Tensor q, Tensor k, Tensor v, int heads, float scale) {
        int n = q.dim(0), lq = q.dim(1), dim = q.dim(2);
        Function<Tensor, Tensor> split = x -> x.reshape(x.dim(0), x.dim(1), heads, dim / heads).transpose(1, 2);
        return Tensor.attention(split.apply(q), split.apply(k), split.apply(v), scale).transpose(1, 2).reshape(n, lq, dim);
    }

    @Test
    void selfAttentionMatchesTheDefinitionAndFiniteDifferences() {
        int n = 2, t = 5, h = 3, dh = 4, dim = h * dh;
        float scale = 0.45f;
        Tensor qkv = GradCheck.random(be, 11, -1f, 1f, n, t, 3 * dim);
        Tensor o = qkv.selfAttention(h, scale);
        assertArrayEquals(new int[] {n, t, dim}, o.shape());
        // The definition on plain arrays: head hh of token i reads features [s·D + hh·dh, …) of qkv row i.
        float[] x = qkv.toArray(), q = new float[n * h * t * dh], k = q.clone(), v = q.clone();
        for (int b = 0; b < n; b++)
            for (int i = 0; i < t; i++)
                for (int hh = 0; hh < h; hh++)
                    for (int c = 0; c < dh; c++) {
                        int src = (b * t + i) * 3 * dim + hh * dh + c, dst = ((b * h + hh) * t + i) * dh + c;
                        q[dst] = x[src];
                        k[dst] = x[src + dim];
                        v[dst] = x[src + 2 * dim];
                    }
        float[] heads = AttentionOpTest.naive(q, k, v, n * h, t, t, dh, scale), expected = new float[n * t * dim];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < t; i++)
                for (int hh = 0; hh < h; hh++)
                    for (int c = 0; c < dh; c++) expected[(b * t + i) * dim + hh * dh + c] = heads[((b * h + hh) * t + i) * dh + c];
        assertClose("selfAttention", expected, o.toArray(), 1e-6, 1e-5);
        GradCheck.check("selfAttention", a -> a[0].selfAttention(h, scale), qkv);
    }

    @Test
    void tokenMajorAttentionMatchesFiniteDifferencesForSelfAndCross() {
        int n = 2, h = 2, dh = 3, dim = h * dh;
        Tensor q = GradCheck.random(be, 21, -1f, 1f, n, 3, dim), k = GradCheck.random(be, 22, -1f, 1f, n, 7, dim);
        Tensor v = GradCheck.random(be, 23, -1f, 1f, n, 7, dim);
        Tensor o = Tensor.attention(q, k, v, h, 0.5f);
        assertArrayEquals(new int[] {n, 3, dim}, o.shape());
        assertArrayEquals(composedAttention(q, k, v, h, 0.5f).toArray(), o.toArray());
        GradCheck.check("attention token-major cross", a -> Tensor.attention(a[0], a[1], a[2], h, 0.5f), q, k, v);
        // One tensor as q, k and v: the gradients add into one buffer (the op must not overwrite there).
        Tensor x = GradCheck.random(be, 24, -1f, 1f, n, 4, dim);
        GradCheck.check("attention token-major q=k=v", a -> Tensor.attention(a[0], a[0], a[0], h, 0.7f), x);
        // A strided (permuted) input is made contiguous first.
        Tensor y = GradCheck.random(be, 25, -1f, 1f, n, dim, 4);
        GradCheck.check("attention token-major strided", a -> {
            Tensor s = a[0].transpose(1, 2);
            return Tensor.attention(s, s, s, h, 0.6f);
        }, y);
    }

    /** Same outputs and gradients, bit for bit, at 1 and 3 threads, fp32 and bf16 attention numerics. */
    @Test
    void bitIdenticalToTheCompositionTheyReplace() {
        for (Precision pre : new Precision[] {Precision.FP32, Precision.BF16}) {
            for (int threads : new int[] {1, 3}) {
                try (CpuBackend cpu = new CpuBackend(threads, pre)) {
                    String at = pre + ", " + threads + " threads: ";
                    // A ViT block's attention: x → qkv Linear → attention → [N, T, D] (→ proj, left out).
                    int n = 2, t = 9, h = 3, dh = 8, dim = h * dh;
                    Tensor[] a = selfInputs(cpu, n, t, dim), b = selfInputs(cpu, n, t, dim);
                    Tensor before = composedSelfAttention(a[0].linear(a[1], a[2]), h, 0.35f);
                    Tensor after = b[0].linear(b[1], b[2]).selfAttention(h, 0.35f);
                    assertSameStep(at + "selfAttention", before, a, after, b);
                    // CAE's cross-attention: 5 queries over 11 keys, three Linears.
                    Tensor[] c = crossInputs(cpu, n, dim), d = crossInputs(cpu, n, dim);
                    Tensor before2 = composedAttention(c[0].linear(c[3], null), c[1].linear(c[4], null),
                            c[2].linear(c[5], null), h, 0.35f);
                    Tensor after2 = Tensor.attention(d[0].linear(d[3], null), d[1].linear(d[4], null),
                            d[2].linear(d[5], null), h, 0.35f);
                    assertSameStep(at + "token-major attention", before2, c, after2, d);
                }
            }
        }
    }

    @Test
    void shapeErrorsNameTheShapes() {
        ShapeException packed = assertThrows(ShapeException.class, () -> Tensor.zeros(be, 2, 5, 13).selfAttention(1, 1f));
        assertTrue(packed.getMessage().contains("[2, 5, 13]"), packed.getMessage());
        ShapeException heads = assertThrows(ShapeException.class, () -> Tensor.zeros(be, 2, 5, 12).selfAttention(3, 1f));
        assertTrue(heads.getMessage().contains("4") && heads.getMessage().contains("3 heads"), heads.getMessage());
        ShapeException kv = assertThrows(ShapeException.class, () -> Tensor.attention(Tensor.zeros(be, 2, 3, 8),
                Tensor.zeros(be, 2, 5, 8), Tensor.zeros(be, 2, 6, 8), 2, 1f));
        assertTrue(kv.getMessage().contains("[2, 5, 8]") && kv.getMessage().contains("[2, 6, 8]"), kv.getMessage());
        ShapeException feat = assertThrows(ShapeException.class, () -> Tensor.attention(Tensor.zeros(be, 2, 3, 8),
                Tensor.zeros(be, 2, 5, 6), Tensor.zeros(be, 2, 5, 6), 2, 1f));
        assertTrue(feat.getMessage().contains("[2, 3, 8]") && feat.getMessage().contains("[2, 5, 6]"), feat.getMessage());
    }

    /** x [n, t, dim], W [3·dim, dim], bias [3·dim], all requiring grad, from fixed seeds. */
    private static Tensor[] selfInputs(Backend be, int n, int t, int dim) {
        return new Tensor[] {GradCheck.random(be, 1, -1f, 1f, n, t, dim), GradCheck.random(be, 2, -0.3f, 0.3f, 3 * dim, dim),
                GradCheck.random(be, 3, -0.1f, 0.1f, 3 * dim)};
    }

    /** xq [n, 5, dim], xk and xv [n, 11, dim], W_q, W_k, W_v [dim, dim]. */
    private static Tensor[] crossInputs(Backend be, int n, int dim) {
        return new Tensor[] {GradCheck.random(be, 4, -1f, 1f, n, 5, dim), GradCheck.random(be, 5, -1f, 1f, n, 11, dim),
                GradCheck.random(be, 6, -1f, 1f, n, 11, dim), GradCheck.random(be, 7, -0.3f, 0.3f, dim, dim),
                GradCheck.random(be, 8, -0.3f, 0.3f, dim, dim), GradCheck.random(be, 9, -0.3f, 0.3f, dim, dim)};
    }

    /** Backpropagates the same random projection through both outputs; outputs and every input's gradient must be equal. */
    private static void assertSameStep(String what, Tensor before, Tensor[] inBefore, Tensor after, Tensor[] inAfter) {
        assertArrayEquals(before.toArray(), after.toArray(), what + " output");
        float[] r = new float[before.numel()];
        Random rnd = new Random(99);
        for (int i = 0; i < r.length; i++) r[i] = (float) rnd.nextGaussian();
        before.mul(Tensor.of(before.backend(), r, before.shape())).sum().backward();
        after.mul(Tensor.of(after.backend(), r, after.shape())).sum().backward();
        for (int i = 0; i < inBefore.length; i++) {
            assertArrayEquals(inBefore[i].grad().toArray(), inAfter[i].grad().toArray(), what + " gradient of input " + i);
        }
    }
}
