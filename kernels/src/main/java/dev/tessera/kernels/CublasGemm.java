package dev.tessera.kernels;

import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.cudaDataType;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasComputeType;
import jcuda.jcublas.cublasGemmAlgo;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.runtime.cudaStream_t;

/**
 * Backend.matmul through cuBLAS (JCublas2 12.6), used when its JNI library loads — which needs
 * {@code libcublas.so.12}; CUDA 13 machines only have .so.13, and then {@link GemmCuda} runs instead.
 *
 * <p>Row-major via the usual swap: cuBLAS is column-major, and a row-major [m, n] matrix is the column-major
 * [n, m] matrix of its transpose. So C = op(A)·op(B) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ: call cuBLAS with
 * (B, A) swapped, dimensions (n, m, k), and each operand's transpose flag unchanged, since a row-major
 * stored X read column-major already is Xᵀ. Leading dimensions are the stored row lengths.
 *
 * <p>Compute type: {@code CUBLAS_COMPUTE_32F} (full fp32, what the parity tests expect) or, with
 * {@code tf32}, {@code CUBLAS_COMPUTE_32F_FAST_TF32} (tensor cores, ~10-bit mantissa products: 5–8× faster
 * on Ampere/Hopper, and errors of ~1e-3 relative). The {@code _new} JCublas2 entry points are used because
 * the old ones take the legacy cudaDataType compute type and reject the TF32 one.
 *
 * <p>The handle runs on the backend's stream and owns a fixed workspace (32 MiB on Hopper, 4 MiB otherwise,
 * as the cuBLAS docs recommend), so cuBLAS never allocates behind the caching allocator's back.
 */
final class CublasGemm implements GpuGemm {
    private final cublasHandle handle = new cublasHandle();
    private final boolean tf32;
    private final CudaBuffer workspace;
    private final LaunchContext lc;

    /** Null when JCublas2's native library loads, else why not, in one line. Never throws. */
    static String libraryProblem() {
        try {
            JCublas2.initialize();
            return null;
        } catch (UnsatisfiedLinkError e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("libcublas")) return "libcublas.so.12 not found (JCublas2 12.6 needs CUDA 12's cuBLAS)";
            return "JCublas2 failed to load: " + CudaProbe.oneLine(e);
        } catch (Throwable t) {
            return "JCublas2 failed to load: " + CudaProbe.oneLine(t);
        }
    }

    CublasGemm(CudaContext ctx, LaunchContext lc, boolean tf32) {
        this.lc = lc;
        this.tf32 = tf32;
        JCublas2.setExceptionsEnabled(true);
        cublas("cublasCreate", () -> JCublas2.cublasCreate(handle));
        cublas("cublasSetStream", () -> JCublas2.cublasSetStream(handle, new cudaStream_t(ctx.stream())));
        long wsBytes = ctx.status().ccMajor() >= 9 ? 32L << 20 : 4L << 20;
        workspace = lc.scratch(wsBytes / 4);
        cublas("cublasSetWorkspace", () -> JCublas2.cublasSetWorkspace(handle, workspace.pointer(), wsBytes));
    }

    @Override
    public String describe() {
        return "cuBLAS via JCublas2 (" + (tf32 ? "TF32 tensor cores" : "fp32") + ")";
    }

    @Override
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, CudaBuffer a,
                     int aBatchStride, CudaBuffer b, int bBatchStride, float beta, CudaBuffer c) {
        if (batch == 0 || m == 0 || n == 0) return;
        int opA = transA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int opB = transB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int lda = transA ? m : k, ldb = transB ? k : n, ldc = n;
        int compute = tf32 ? cublasComputeType.CUBLAS_COMPUTE_32F_FAST_TF32 : cublasComputeType.CUBLAS_COMPUTE_32F;
        int f32 = cudaDataType.CUDA_R_32F, algo = cublasGemmAlgo.CUBLAS_GEMM_DEFAULT;
        // Host scalars: cuBLAS reads them during the call, so Java arrays are safe here.
        Pointer pAlpha = Pointer.to(new float[] {alpha}), pBeta = Pointer.to(new float[] {beta});
        if (k == 0) {
            // cuBLAS requires lda ≥ max(1, rows); with k = 0 nothing is read, so any valid ld works.
            lda = Math.max(lda, 1);
            ldb = Math.max(ldb, 1);
        }
        final int fLda = lda, fLdb = ldb;
        if (batch == 1) {
            cublas("cublasGemmEx_new(m=" + m + ", n=" + n + ", k=" + k + ")",
                    () -> JCublas2.cublasGemmEx_new(handle, opB, opA, n, m, k, pAlpha, b.pointer(), f32, fLdb,
                            a.pointer(), f32, fLda, pBeta, c.pointer(), f32, ldc, compute, algo));
        } else {
            cublas("cublasGemmStridedBatchedEx_new(batch=" + batch + ", m=" + m + ", n=" + n + ", k=" + k + ")",
                    () -> JCublas2.cublasGemmStridedBatchedEx_new(handle, opB, opA, n, m, k, pAlpha, b.pointer(), f32,
                            fLdb, bBatchStride, a.pointer(), f32, fLda, aBatchStride, pBeta, c.pointer(), f32, ldc,
                            (long) m * n, batch, compute, algo));
        }
    }

    private static void cublas(String call, java.util.function.IntSupplier f) {
        int r;
        try {
            r = f.getAsInt();
        } catch (CudaException e) {
            throw new IllegalStateException(call + " failed: " + e.getMessage(), e);
        }
        if (r != 0) throw new IllegalStateException(call + " failed: cublasStatus " + r);
    }

    @Override
    public void close() {
        cublas("cublasDestroy", () -> JCublas2.cublasDestroy(handle));
        lc.release(workspace);
    }
}
