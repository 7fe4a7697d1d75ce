package dev.tessera.kernels;

/**
 * Batched row-major SGEMM on the GPU, exactly {@code Backend.matmul}'s contract (sizes already checked by
 * {@link GemmCuda#checkSizes}). Two implementations: {@link CublasGemm} when JCublas2 loads (it needs
 * libcublas.so.12) and {@link GemmCuda}, our own kernels, always available. {@link CudaBackend} picks one at
 * start and logs which.
 */
interface GpuGemm extends AutoCloseable {
    void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, CudaBuffer a,
              int aBatchStride, CudaBuffer b, int bBatchStride, float beta, CudaBuffer c);

    /** One line for the log, e.g. "cuBLAS via JCublas2 (fp32)". */
    String describe();

    @Override
    default void close() {}
}
