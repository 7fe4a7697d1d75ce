package dev.tessera.engine.backend.cpu;

/**
 * The CPU backend's SGEMM entry point: batched, multi-threaded. Work is split over (batch, row-block) pairs
 * so both one large GEMM and many small per-head GEMMs keep every core busy.
 */
public final class Sgemm {
    private Sgemm() {}

    public static void gemm(Parallel par, boolean transA, boolean transB, int batch, int m, int n, int k,
                            float alpha, float[] a, int ao, int aBatchStride, float[] b, int bo, int bBatchStride,
                            float beta, float[] c, int co) {
        int lda = transA ? m : k, ldb = transB ? k : n;
        int rowBlock = Math.max(1, Math.min(m, 64));
        int blocksPerBatch = (m + rowBlock - 1) / rowBlock;
        par.forRange(batch * blocksPerBatch, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int bi = t / blocksPerBatch, r0 = (t % blocksPerBatch) * rowBlock, rows = Math.min(rowBlock, m - r0);
                int aOff = ao + bi * aBatchStride + (transA ? r0 : r0 * lda);
                SgemmScalar.gemm(transA, transB, rows, n, k, alpha, a, aOff, lda,
                        b, bo + bi * bBatchStride, ldb, beta, c, co + bi * m * n + r0 * n, n);
            }
        });
    }
}
