package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.testing.Close.assertClose;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The Vector API attention against its oracle {@link AttentionCpu} (double sums): forward output, saved
 * log-sum-exp and all three accumulated gradients, on the shapes the presets run (MAE-tiny encoder 13
 * tokens × head dim 64, decoder 50 × 32), cross-attention (CAE: fewer queries than keys, and more), and odd
 * sizes that exercise every tail: lk not a multiple of the vector width, head dims below and between vector
 * widths, single rows, a single key. Tolerances cover float sums of ≤ 64 terms against double.
 */
class AttentionCpuFastTest {
    static final Parallel PAR = new Parallel(2);

    @AfterAll
    static void close() {
        PAR.close();
    }

    @Test
    void presetShapes() {
        check(6, 13, 13, 64, 0.125f);        // mae-tiny encoder: 12 visible + cls, 3 heads of 64
        check(8, 50, 50, 32, 0.17677669f);   // mae-tiny decoder: 49 patches + cls, 4 heads of 32
        check(2, 197, 197, 64, 0.125f);      // ViT-S/16 full sequence
    }

    @Test
    void crossAttention() {
        check(6, 7, 12, 8, 0.35f);
        check(3, 98, 196, 16, 0.25f);        // CAE regressor: masked queries over all keys
        check(3, 20, 5, 24, 0.2f);           // more queries than keys
    }

    @Test
    void oddSizes() {
        check(3, 5, 17, 5, 0.4f);
        check(2, 1, 1, 3, 1f);
        check(4, 3, 33, 20, 0.3f);
        check(5, 9, 16, 1, 0.9f);
        check(1, 31, 47, 48, 0.14f);
    }

    /**
     * The per-head product's register blocking (eight, four, two or one rows × two vectors, then one vector, then
     * scalar columns) must not change a bit: every element is the FMA chain over p from zero on vector columns and the plain
     * multiply-add chain on the scalar tail, whatever block it falls in. Shapes put elements in every block.
     */
    @Test
    void smallProductsComputeEveryElementAsTheSameChainWhateverItsBlock() {
        int w = SgemmVector.SPECIES.length();
        int[] rowsCases = {1, 2, 3, 4, 5, 8, 10, 13, 23};
        int[] nCases = {1, w - 1, w, w + 1, 2 * w, 2 * w + 3, 3 * w + 1, 64};
        int[] kCases = {1, 7, 64};
        for (int rows : rowsCases) {
            for (int n : nCases) {
                for (int kk : kCases) {
                    for (boolean transposedA : new boolean[] {false, true}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            checkProduct(rows, n, kk, transposedA, accumulate, 0.37f);
                        }
                    }
                }
            }
        }
    }

    private static void checkProduct(int rows, int n, int kk, boolean transposedA, boolean accumulate, float alpha) {
        int ars = transposedA ? 1 : kk, aps = transposedA ? rows : 1;
        float[] a = LayerNormCpuTest.random(rows * 7L + kk, 2 + rows * kk, -2, 2);
        float[] b = LayerNormCpuTest.random(n * 3L + kk, 1 + kk * (n + 2), -2, 2);
        float[] c0 = LayerNormCpuTest.random(rows * 11L + n, 4 + rows * (n + 1), -1, 1);
        float[] expected = c0.clone(), actual = c0.clone();
        int nv = n / SgemmVector.SPECIES.length() * SgemmVector.SPECIES.length();
        for (int r = 0; r < rows; r++) {
            for (int col = 0; col < n; col++) {
                float acc = 0f;
                for (int p = 0; p < kk; p++) {
                    float x = a[2 + r * ars + p * aps], y = b[1 + p * (n + 2) + col];
                    acc = col < nv ? Math.fma(y, x, acc) : acc + x * y;
                }
                int at = 4 + r * (n + 1) + col;
                expected[at] = accumulate ? expected[at] + acc * alpha : acc * alpha;
            }
        }
        AttentionCpuFast.mm(rows, n, kk, alpha, a, 2, ars, aps, b, 1, n + 2, actual, 4, n + 1, accumulate);
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual,
                "rows " + rows + ", n " + n + ", k " + kk + (transposedA ? ", A transposed" : "") + (accumulate ? ", accumulating" : ""));
    }

    /** Forward and backward of both implementations on the same random inputs; gradients start non-zero. */
    static void check(int heads, int lq, int lk, int d, float scale) {
        String shape = "[" + heads + " heads, lq " + lq + ", lk " + lk + ", d " + d + "] ";
        float[] q = LayerNormCpuTest.random(lq * 31L + d, heads * lq * d, -2, 2);
        float[] k = LayerNormCpuTest.random(lk * 17L + d, heads * lk * d, -2, 2);
        float[] v = LayerNormCpuTest.random(lk * 5L + 3, heads * lk * d, -1, 1);
        float[] dout = LayerNormCpuTest.random(lq * 7L + 1, heads * lq * d, -1, 1);
        // Offsets: every array is addressed through its offset.
        int off = 3;
        float[] qo = shift(q, off), ko = shift(k, off), vo = shift(v, off), go = shift(dout, off);

        float[] outRef = new float[heads * lq * d], lseRef = new float[heads * lq];
        AttentionCpu.forward(PAR, q, 0, k, 0, v, 0, outRef, 0, lseRef, 0, heads, lq, lk, d, scale);
        float[] out = new float[off + heads * lq * d], lse = new float[off + heads * lq];
        AttentionCpuFast.forward(PAR, qo, off, ko, off, vo, off, out, off, lse, off, heads, lq, lk, d, scale);
        assertClose(shape + "out", shift(outRef, off), out, 2e-6, 2e-5);
        assertClose(shape + "lse", shift(lseRef, off), lse, 2e-6, 2e-6);

        float[] dqRef = LayerNormCpuTest.random(1, heads * lq * d, -1, 1), dkRef = LayerNormCpuTest.random(2, heads * lk * d, -1, 1);
        float[] dvRef = LayerNormCpuTest.random(3, heads * lk * d, -1, 1);
        float[] dq = shift(dqRef, off), dk = shift(dkRef, off), dv = shift(dvRef, off);
        AttentionCpu.backward(PAR, q, 0, k, 0, v, 0, outRef, 0, lseRef, 0, dout, 0, dqRef, 0, dkRef, 0, dvRef, 0,
                heads, lq, lk, d, scale);
        AttentionCpuFast.backward(PAR, qo, off, ko, off, vo, off, out, off, lse, off, go, off, dq, off, dk, off, dv, off,
                heads, lq, lk, d, scale);
        assertClose(shape + "dq", shift(dqRef, off), dq, 1e-5, 1e-4);
        assertClose(shape + "dk", shift(dkRef, off), dk, 1e-5, 1e-4);
        assertClose(shape + "dv", shift(dvRef, off), dv, 1e-5, 1e-4);

        // Null gradients are skipped; the others still accumulate the same values.
        float[] dvOnly = new float[off + heads * lk * d];
        AttentionCpuFast.backward(PAR, qo, off, ko, off, vo, off, out, off, lse, off, go, off, null, 0, null, 0, dvOnly, off,
                heads, lq, lk, d, scale);
        float[] dvFresh = new float[heads * lk * d];
        AttentionCpu.backward(PAR, q, 0, k, 0, v, 0, outRef, 0, lseRef, 0, dout, 0, null, 0, null, 0, dvFresh, 0,
                heads, lq, lk, d, scale);
        assertClose(shape + "dv alone", shift(dvFresh, off), dvOnly, 1e-6, 1e-4);
    }

    /** a copied behind {@code off} leading zeros. */
    static float[] shift(float[] a, int off) {
        float[] s = new float[off + a.length];
        System.arraycopy(a, 0, s, off, a.length);
        return s;
    }
}
