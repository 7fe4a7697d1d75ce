package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.testing.Close.assertClose;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/**
 * The fused attention reference against attention composed from separate ops (matmul, scale, softmax,
 * matmul), forward and all three gradients, at CAE-like cross-attention shapes (fewer queries than keys);
 * and the saved log-sum-exp against its definition in double.
 */
class AttentionCpuTest {
    final CpuBackend be = Backends.cpu();

    static Tensor composite(Tensor q, Tensor k, Tensor v, float scale) {
        return q.matmul(k.transpose(-2, -1)).mul(scale).softmax(-1).matmul(v);
    }

    @Test
    void fusedEqualsCompositeForCrossAttention() {
        int b = 2, h = 3, lq = 7, lk = 12, d = 8;
        float scale = (float) (1 / Math.sqrt(d));
        Tensor q = GradCheck.random(be, 1, -1.5f, 1.5f, b, h, lq, d), k = GradCheck.random(be, 2, -1.5f, 1.5f, b, h, lk, d);
        Tensor v = GradCheck.random(be, 3, -1f, 1f, b, h, lk, d);
        Tensor r = GradCheck.random(be, 4, -1f, 1f, b, h, lq, d).requiresGrad(false);

        Tensor ref = composite(q, k, v, scale);
        ref.mul(r).sum().backward();
        float[] refOut = ref.toArray(), refDq = q.grad().toArray(), refDk = k.grad().toArray(), refDv = v.grad().toArray();
        q.clearGrad();
        k.clearGrad();
        v.clearGrad();

        Tensor fused = Tensor.attention(q, k, v, scale);
        fused.mul(r).sum().backward();
        assertClose("out", refOut, fused.toArray(), 1e-6, 1e-5);
        assertClose("dq", refDq, q.grad().toArray(), 1e-6, 1e-4);
        assertClose("dk", refDk, k.grad().toArray(), 1e-6, 1e-4);
        assertClose("dv", refDv, v.grad().toArray(), 1e-6, 1e-4);
    }

    @Test
    void logSumExpIsSavedPerQueryRow() {
        int bh = 2, lq = 7, lk = 12, d = 8;
        float scale = 0.35f;
        float[] q = LayerNormCpuTest.random(5, bh * lq * d, -2, 2), k = LayerNormCpuTest.random(6, bh * lk * d, -2, 2);
        float[] v = LayerNormCpuTest.random(7, bh * lk * d, -1, 1);
        Buffer qb = upload(q), kb = upload(k), vb = upload(v);
        Buffer out = be.allocate(bh * lq * d), lse = be.allocate(bh * lq);
        be.attentionForward(AttentionLayout.contiguous(bh, lq, lk, d), qb, kb, vb, out, lse, scale);
        float[] expected = new float[bh * lq];
        for (int h = 0; h < bh; h++)
            for (int i = 0; i < lq; i++) {
                double z = 0;
                for (int j = 0; j < lk; j++) {
                    double s = 0;
                    for (int c = 0; c < d; c++) s += (double) q[(h * lq + i) * d + c] * k[(h * lk + j) * d + c];
                    z += Math.exp(s * scale);
                }
                expected[h * lq + i] = (float) Math.log(z);
            }
        assertClose("lse", expected, be.download(lse), 1e-6, 1e-6);
    }

    @Test
    void backwardAccumulatesAndSkipsNullGradients() {
        int bh = 1, lq = 3, lk = 4, d = 2;
        Buffer q = upload(LayerNormCpuTest.random(8, lq * d, -1, 1)), k = upload(LayerNormCpuTest.random(9, lk * d, -1, 1));
        Buffer v = upload(LayerNormCpuTest.random(10, lk * d, -1, 1)), dout = upload(LayerNormCpuTest.random(11, lq * d, -1, 1));
        Buffer out = be.allocate(lq * d), lse = be.allocate(lq);
        be.attentionForward(AttentionLayout.contiguous(bh, lq, lk, d), q, k, v, out, lse, 1f);
        Buffer dv1 = be.allocate(lk * d), dv2 = be.allocate(lk * d);
        be.attentionBackward(AttentionLayout.contiguous(bh, lq, lk, d), q, k, v, out, lse, dout, null, null, dv1, 1f,
                GradMode.ACCUMULATE);
        be.fill(dv2, 1f);
        be.attentionBackward(AttentionLayout.contiguous(bh, lq, lk, d), q, k, v, out, lse, dout, null, null, dv2, 1f,
                GradMode.ACCUMULATE);
        float[] a = be.download(dv1), b2 = be.download(dv2);
        for (int i = 0; i < a.length; i++) a[i] += 1f;
        assertClose("dv accumulates", a, b2, 1e-6, 1e-6);
    }

    /** OVERWRITE writes every element of a packed d(qkv) and reads none: NaN garbage there must not matter. */
    @Test
    void overwriteCoversAPackedQkvGradientWithoutReadingIt() {
        int n = 2, t = 5, heads = 3, d = 4, dim = heads * d;
        AttentionLayout lay = AttentionLayout.packedQkv(n, t, heads, d);
        Buffer qkv = upload(LayerNormCpuTest.random(12, n * t * 3 * dim, -1, 1));
        Buffer dout = upload(LayerNormCpuTest.random(13, n * t * dim, -1, 1));
        Buffer out = be.allocate(n * t * dim), lse = be.allocate(n * heads * t);
        be.attentionForward(lay, qkv, qkv, qkv, out, lse, 0.4f);
        Buffer added = be.allocate(n * t * 3 * dim), written = be.allocate(n * t * 3 * dim);
        be.attentionBackward(lay, qkv, qkv, qkv, out, lse, dout, added, added, added, 0.4f, GradMode.ACCUMULATE);
        be.fill(written, Float.NaN);
        be.attentionBackward(lay, qkv, qkv, qkv, out, lse, dout, written, written, written, 0.4f, GradMode.OVERWRITE);
        org.junit.jupiter.api.Assertions.assertArrayEquals(be.download(added), be.download(written));
    }

    private Buffer upload(float[] x) {
        Buffer b = be.allocate(x.length);
        be.upload(x, b);
        return b;
    }
}
