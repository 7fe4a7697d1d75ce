package dev.tessera.engine.backend.cpu;

/**
 * The plainest correct SGEMM: C = alpha·op(A)·op(B) + beta·C, row-major, one batch. It is the oracle the
 * fast {@link SgemmVector} is tested against and the first thing to read: three loops, ordered so the inner
 * loop walks memory contiguously — i-p-j (rows of B and C) when B is stored [k, n], i-j-p (a dot product
 * along rows of A and Bᵀ) when B is stored transposed [n, k]. Either way each element is summed over p in
 * increasing order, without FMA. lda/ldb/ldc are the row lengths of the stored matrices.
 */
public final class SgemmScalar {
    private SgemmScalar() {}

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int ao, int lda, float[] b, int bo, int ldb,
                            float beta, float[] c, int co, int ldc) {
        float[] row = new float[n];
        for (int i = 0; i < m; i++) {
            java.util.Arrays.fill(row, 0f);
            if (transB) {
                for (int j = 0; j < n; j++) {
                    float dot = 0f;
                    for (int p = 0; p < k; p++) {
                        float aip = transA ? a[ao + p * lda + i] : a[ao + i * lda + p];
                        dot += aip * b[bo + j * ldb + p];
                    }
                    row[j] = dot;
                }
            } else {
                for (int p = 0; p < k; p++) {
                    float aip = transA ? a[ao + p * lda + i] : a[ao + i * lda + p];
                    for (int j = 0; j < n; j++) row[j] += aip * b[bo + p * ldb + j];
                }
            }
            int cr = co + i * ldc;
            for (int j = 0; j < n; j++) {
                c[cr + j] = (beta == 0f ? 0f : beta * c[cr + j]) + alpha * row[j];
            }
        }
    }
}
