package dev.tessera.kernels;

/**
 * {@code Backend.matmul}'s row-major request, as the arguments of a column-major cuBLAS call.
 *
 * <p>The whole trick: a row-major matrix X [r, c] with rows of length c lies in memory exactly like the
 * column-major matrix Xᵀ [c, r] with leading dimension c. So the row-major product C = op(A)·op(B) ([m, n]) is
 * computed as its transpose, Cᵀ = op(B)ᵀ·op(A)ᵀ ([n, m], column-major, ldc = n): cuBLAS gets Tessera's B in its
 * "A" slot and Tessera's A in its "B" slot, the dimensions (n, m, k), and each operand's transpose flag unchanged —
 * a stored row-major B [k, n] read column-major already is Bᵀ, which is what Cᵀ needs when B is not transposed, and
 * a stored [n, k] (transB) read column-major is its transpose, so cuBLAS must transpose it back. Leading dimensions
 * are the stored row lengths. The worked table, for C [m, n] with inner size k:
 * <pre>
 *   layout (Tessera)   cuBLAS A  opA  lda   cuBLAS B  opB  ldb   m  n  k   ldc
 *   NN  A[m,k] B[k,n]    B        N    n      A        N    k    n  m  k    n
 *   NT  A[m,k] B[n,k]    B        T    k      A        N    k    n  m  k    n
 *   TN  A[k,m] B[k,n]    B        N    n      A        T    m    n  m  k    n
 *   TT  A[k,m] B[n,k]    B        T    k      A        T    m    n  m  k    n
 * </pre>
 * Batches: cuBLAS's strideA is Tessera's B batch stride and vice versa; strideC = m·n (C batches are contiguous). A
 * stride of 0 (one weight shared by every sample) is legal in cublasGemmStridedBatchedEx.
 *
 * <p>cuBLAS requires every leading dimension ≥ max(1, rows of the stored column-major matrix); with k = 0 a
 * transposed operand's stored rows are 0, so the leading dimension is raised to 1 (nothing is read).
 *
 * @param transA  cuBLAS's transa (CUBLAS_OP_N = 0, CUBLAS_OP_T = 1), applied to {@code b} of the request
 * @param transB  cuBLAS's transb, applied to {@code a} of the request
 */
record GemmMapping(int transA, int transB, int m, int n, int k, int lda, long strideA, int ldb, long strideB, int ldc,
                   long strideC, int batch) {

    static final int OP_N = 0, OP_T = 1;

    /** The column-major call for row-major C[m,n] = op(A)·op(B) over {@code batch} strided batches. */
    static GemmMapping of(boolean transA, boolean transB, int batch, int m, int n, int k, int aBatchStride, int bBatchStride) {
        int ldFirst = transB ? k : n;    // Tessera's B, stored [k, n] or [n, k]
        int ldSecond = transA ? m : k;   // Tessera's A, stored [m, k] or [k, m]
        return new GemmMapping(transB ? OP_T : OP_N, transA ? OP_T : OP_N, n, m, k, Math.max(1, ldFirst), bBatchStride,
                Math.max(1, ldSecond), aBatchStride, Math.max(1, n), (long) m * n, batch);
    }

    /** Element types and compute type of one call: cudaDataType values and cublasComputeType_t values. */
    record Types(int aType, int bType, int cType, int computeType, String label) {
        static final int CUDA_R_32F = 0, CUDA_R_16BF = 14;
        static final int COMPUTE_32F = 68, COMPUTE_32F_FAST_TF32 = 77;

        /** fp32 in, fp32 out, fp32 products and sums (what the parity tests compare against the CPU). */
        static final Types FP32 = new Types(CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, COMPUTE_32F, "fp32");
        /** fp32 storage, products on TF32 tensor cores (10-bit mantissas), fp32 sums. */
        static final Types TF32 = new Types(CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, COMPUTE_32F_FAST_TF32, "TF32 tensor cores");
        /**
         * bf16 inputs, fp32 output and accumulation (autocast's matmul: the next op reads fp32). Not used by the
         * backend yet — the engine has no bf16 buffers — but mapped here so the bf16 path only adds the conversion.
         */
        static final Types BF16_IN_FP32_OUT = new Types(CUDA_R_16BF, CUDA_R_16BF, CUDA_R_32F, COMPUTE_32F, "bf16 tensor cores");
    }
}
