package dev.tessera.engine.backend.cpu;

/**
 * The plainest correct SGEMM: C = alpha·op(A)·op(B) + beta·C, row-major, one batch. It is the oracle the
 * fast {@link Sgemm} is tested against and the first thing to read: three loops, ordered i-p-j so the inner
 * loop walks rows of B and C contiguously. lda/ldb/ldc are the row lengths of the stored matrices.
 */
public final class SgemmScalar {
    private SgemmScalar() {}

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int ao, int lda, float[] b, int bo, int ldb,
                            float beta, float[] c, int co, int ldc) {
        float[] row = new float[n];
        for (int i = 0; i < m; i++) {
            java.util.Arrays.fill(row, 0f);
            for (int p = 0; p < k; p++) {
                float aip = transA ? a[ao + p * lda + i] : a[ao + i * lda + p];
                if (transB) {
                    for (int j = 0; j < n; j++) row[j] += aip * b[bo + j * ldb + p];
                } else {
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
