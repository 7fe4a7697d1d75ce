package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.engine.testing.Close;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The row-major → column-major argument mapping every cuBLAS path uses (FFM cuBLAS 13, JCublas2, cuBLASLt): once
 * against the hand-worked table of {@link GemmMapping}, and once by execution — a column-major GEMM written from the
 * cuBLAS documentation, fed the mapped arguments, must reproduce the row-major product for every layout, with strided
 * batches (including a shared, stride-0 operand), alpha and beta.
 */
class GemmMappingTest {

    @Test
    void theHandWorkedTable() {
        // C [m=2, n=3] = op(A)·op(B), k = 4, batch strides 8 (A) and 12 (B)
        record Row(boolean ta, boolean tb, int opA, int lda, int opB, int ldb) {}
        Row[] table = {
            new Row(false, false, 0, 3, 0, 4),   // NN: A[2,4] B[4,3] → cuBLAS A = B (N, ld n=3), B = A (N, ld k=4)
            new Row(false, true, 1, 4, 0, 4),    // NT: B stored [3,4]: T, ld k=4
            new Row(true, false, 0, 3, 1, 2),    // TN: A stored [4,2]: T, ld m=2
            new Row(true, true, 1, 4, 1, 2),     // TT
        };
        for (Row r : table) {
            GemmMapping g = GemmMapping.of(r.ta(), r.tb(), 5, 2, 3, 4, 8, 12);
            String layout = (r.ta() ? "T" : "N") + (r.tb() ? "T" : "N");
            assertEquals(new GemmMapping(r.opA(), r.opB(), 3, 2, 4, r.lda(), 12, r.ldb(), 8, 3, 6, 5), g, layout);
        }
    }

    @Test
    void zeroInnerSizeKeepsLeadingDimensionsLegal() {
        GemmMapping g = GemmMapping.of(true, true, 1, 2, 3, 0, 0, 0);
        assertEquals(1, g.lda());   // transB with k = 0: stored rows 0, cuBLAS wants ≥ 1
        assertEquals(2, g.ldb());
    }

    @Test
    void aColumnMajorGemmFedTheMappedArgumentsComputesTheRowMajorProduct() {
        Random rnd = new Random(7);
        int batch = 3, m = 5, n = 7, k = 6;
        float alpha = 0.75f, beta = -0.5f;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int shareB = 0; shareB < 2; shareB++) {
                    int aStride = m * k + 3, bStride = shareB == 1 ? 0 : k * n + 1;   // padded strides, or one shared B
                    float[] a = random(rnd, (batch - 1) * aStride + m * k), b = random(rnd, (batch - 1) * bStride + k * n);
                    float[] c0 = random(rnd, batch * m * n);
                    float[] expected = rowMajor(ta, tb, batch, m, n, k, alpha, a, aStride, b, bStride, beta, c0);
                    GemmMapping g = GemmMapping.of(ta, tb, batch, m, n, k, aStride, bStride);
                    float[] c = c0.clone();
                    columnMajorStridedBatched(g, alpha, b, a, beta, c);   // cuBLAS's A slot gets Tessera's B
                    Close.assertClose((ta ? "T" : "N") + (tb ? "T" : "N") + (shareB == 1 ? " shared B" : ""), expected, c,
                            new int[] {batch, m, n}, 1e-5, 1e-5);
                }
            }
        }
    }

    /** The Backend.matmul contract, straight from its Javadoc, in double. */
    static float[] rowMajor(boolean ta, boolean tb, int batch, int m, int n, int k, float alpha, float[] a, int as,
                            float[] b, int bs, float beta, float[] c) {
        float[] out = new float[batch * m * n];
        for (int z = 0; z < batch; z++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int p = 0; p < k; p++) {
                        double x = ta ? a[z * as + p * m + i] : a[z * as + i * k + p];
                        double y = tb ? b[z * bs + j * k + p] : b[z * bs + p * n + j];
                        acc += x * y;
                    }
                    int o = z * m * n + i * n + j;
                    out[o] = (float) (alpha * acc + beta * c[o]);
                }
            }
        }
        return out;
    }

    /**
     * cublasGemmStridedBatchedEx as its documentation defines it, column-major:
     * C_z[i + j·ldc] = alpha·Σ_p op(A_z)(i, p)·op(B_z)(p, j) + beta·C_z[i + j·ldc], op(X)(r, s) = X[r + s·ld] (N) or
     * X[s + r·ld] (T), X_z starting at z·strideX.
     */
    static void columnMajorStridedBatched(GemmMapping g, float alpha, float[] a, float[] b, float beta, float[] c) {
        for (int z = 0; z < g.batch(); z++) {
            for (int i = 0; i < g.m(); i++) {
                for (int j = 0; j < g.n(); j++) {
                    double acc = 0;
                    for (int p = 0; p < g.k(); p++) {
                        double x = g.transA() == GemmMapping.OP_N ? a[(int) (z * g.strideA()) + i + p * g.lda()]
                                : a[(int) (z * g.strideA()) + p + i * g.lda()];
                        double y = g.transB() == GemmMapping.OP_N ? b[(int) (z * g.strideB()) + p + j * g.ldb()]
                                : b[(int) (z * g.strideB()) + j + p * g.ldb()];
                        acc += x * y;
                    }
                    int o = (int) (z * g.strideC()) + i + j * g.ldc();
                    c[o] = (float) (alpha * acc + beta * c[o]);
                }
            }
        }
    }

    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        return v;
    }
}
