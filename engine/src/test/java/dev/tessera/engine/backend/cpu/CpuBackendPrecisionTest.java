package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.Precision;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's tf32/bf16 numerics. matmul: under a rounding precision it computes exactly the fp32 SGEMM of
 * the rounded operands (bit-identical), for every layout, shared and strided batches — the tensor-core GEMM's
 * contract. Attention under bf16: within the bf16 error of P of the double-precision reference on rounded q, k,
 * v (and dout), and visibly different from fp32; under tf32 attention is fp32, bit-identical.
 */
class CpuBackendPrecisionTest {
    static final CpuBackend FP32 = new CpuBackend(2), TF32 = new CpuBackend(2, Precision.TF32),
            BF16 = new CpuBackend(2, Precision.BF16);

    @AfterAll
    static void close() {
        FP32.close();
        TF32.close();
        BF16.close();
    }

    @Test
    void matmulRoundsBothOperandsAndNothingElse() {
        for (CpuBackend be : new CpuBackend[] {TF32, BF16}) {
            Precision p = be.precision();
            for (boolean ta : new boolean[] {false, true})
                for (boolean tb : new boolean[] {false, true}) {
                    gemm(be, p, ta, tb, 1, 7, 5, 9, 0, 0);
                    gemm(be, p, ta, tb, 3, 4, 6, 5, 4 * 5, 0);          // B shared by the batch (a weight)
                    gemm(be, p, ta, tb, 2, 13, 3, 17, 13 * 17 + 2, 3 * 17 + 1);  // padded batch strides
                }
        }
        assertEquals(Precision.FP32, FP32.precision());
    }

    private static void gemm(CpuBackend be, Precision p, boolean ta, boolean tb, int batch, int m, int n, int k, int sa, int sb) {
        int na = (batch - 1) * sa + m * k, nb = (batch - 1) * sb + k * n;
        float[] a = LayerNormCpuTest.random(m * 7L + k, na, -3, 3), b = LayerNormCpuTest.random(n * 5L + k, nb, -3, 3);
        float[] c0 = LayerNormCpuTest.random(9, batch * m * n, -1, 1);
        float[] ar = new float[na], br = new float[nb];
        p.round(a, 0, ar, 0, na);
        p.round(b, 0, br, 0, nb);
        float[] expected = run(FP32, ta, tb, batch, m, n, k, ar, sa, br, sb, c0);
        float[] actual = run(be, ta, tb, batch, m, n, k, a, sa, b, sb, c0);
        assertArrayEquals(expected, actual, p + " " + ta + tb + " batch " + batch);
        assertNotEquals(java.util.Arrays.toString(run(FP32, ta, tb, batch, m, n, k, a, sa, b, sb, c0)),
                java.util.Arrays.toString(actual), "rounding changed nothing");
    }

    private static float[] run(CpuBackend be, boolean ta, boolean tb, int batch, int m, int n, int k, float[] a, int sa,
                               float[] b, int sb, float[] c0) {
        Buffer ab = be.allocate(a.length), bb = be.allocate(b.length), cb = be.allocate(c0.length);
        be.upload(a, ab);
        be.upload(b, bb);
        be.upload(c0, cb);
        be.matmul(ta, tb, batch, m, n, k, 0.75f, ab, sa, bb, sb, 0.5f, cb);
        return be.download(cb);
    }

    @Test
    void bf16AttentionIsTheReferenceOnRoundedOperandsUpToTheRoundingOfP() {
        attention(6, 13, 13, 64, 0.125f);     // mae-tiny encoder
        attention(8, 50, 50, 32, 0.1767767f); // mae-tiny decoder
        attention(3, 9, 20, 16, 0.25f);       // cross-attention
        attention(2, 1, 1, 8, 0.5f);
    }

    private static void attention(int heads, int lq, int lk, int d, float scale) {
        String shape = "[" + heads + ", " + lq + ", " + lk + ", " + d + "] ";
        float[] q = LayerNormCpuTest.random(lq * 31L + d, heads * lq * d, -2, 2), k = LayerNormCpuTest.random(lk * 17L, heads * lk * d, -2, 2);
        float[] v = LayerNormCpuTest.random(5, heads * lk * d, -1, 1), dout = LayerNormCpuTest.random(7, heads * lq * d, -1, 1);
        float[][] bf = attend(BF16, q, k, v, dout, heads, lq, lk, d, scale);
        float[][] ref = attend(FP32, Precision.BF16, q, k, v, dout, heads, lq, lk, d, scale);
        // P and dS are rounded to bf16 (relative error ≤ 2⁻⁹ each) before their products: the sums of ≤ 50 terms
        // of size ≤ 2 move by a few 1e-3 at most.
        String[] names = {"out", "lse", "dq", "dk", "dv"};
        double[] atol = {4e-3, 1e-5, 2e-2, 2e-2, 4e-3};
        for (int i = 0; i < names.length; i++) assertClose(shape + names[i], ref[i], bf[i], atol[i], 1e-2);
        float[][] fp = attend(FP32, q, k, v, dout, heads, lq, lk, d, scale);
        assertNotEquals(java.util.Arrays.toString(fp[0]), java.util.Arrays.toString(bf[0]), shape + "bf16 changed nothing");
        float[][] tf = attend(TF32, q, k, v, dout, heads, lq, lk, d, scale);
        for (int i = 0; i < names.length; i++) assertArrayEquals(fp[i], tf[i], shape + names[i] + ": tf32 leaves attention in fp32");
    }

    private static float[][] attend(CpuBackend be, float[] q, float[] k, float[] v, float[] dout, int heads, int lq, int lk,
                                    int d, float scale) {
        return attend(be, Precision.FP32, q, k, v, dout, heads, lq, lk, d, scale);
    }

    /** Forward and backward on {@code be} with q, k, v and dout rounded to {@code pre} first. */
    private static float[][] attend(CpuBackend be, Precision pre, float[] q, float[] k, float[] v, float[] dout, int heads,
                                    int lq, int lk, int d, float scale) {
        Buffer qb = put(be, pre, q), kb = put(be, pre, k), vb = put(be, pre, v), gb = put(be, pre, dout);
        Buffer out = be.allocate(heads * lq * d), lse = be.allocate(heads * lq);
        Buffer dq = be.allocate(q.length), dk = be.allocate(k.length), dv = be.allocate(v.length);
        be.attentionForward(AttentionLayout.contiguous(heads, lq, lk, d), qb, kb, vb, out, lse, scale);
        be.attentionBackward(AttentionLayout.contiguous(heads, lq, lk, d), qb, kb, vb, out, lse, gb, dq, dk, dv, scale,
                GradMode.ACCUMULATE);
        return new float[][] {be.download(out), be.download(lse), be.download(dq), be.download(dk), be.download(dv)};
    }

    private static Buffer put(CpuBackend be, Precision pre, float[] x) {
        float[] r = new float[x.length];
        pre.round(x, 0, r, 0, x.length);
        Buffer b = be.allocate(x.length);
        be.upload(r, b);
        return b;
    }
}
