package dev.tessera.kernels;

/**
 * Batched row-major SGEMM on the GPU, exactly {@code Backend.matmul}'s contract (sizes already checked by
 * {@link GemmCuda#checkSizes}). Three implementations, chosen once per backend by {@link GemmSelection}:
 * {@link Cublas13Gemm} (cuBLAS 13 through FFM), {@link JCublas2Gemm} (cuBLAS 12 through JCublas2) and
 * {@link GemmCuda}, our own kernels, always available.
 */
interface GpuGemm extends AutoCloseable {
    void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, CudaBuffer a,
              int aBatchStride, CudaBuffer b, int bBatchStride, float beta, CudaBuffer c);

    /** One line for logs and bench results, e.g. "cuBLAS 13.0.2 via FFM (/…/libcublas.so.13, LD_LIBRARY_PATH), fp32". */
    String describe();

    /** True when the products run on TF32 tensor cores; false means full fp32 products. */
    default boolean tf32() {
        return false;
    }

    @Override
    default void close() {}
}
