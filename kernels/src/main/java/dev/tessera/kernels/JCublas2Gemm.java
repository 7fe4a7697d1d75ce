package dev.tessera.kernels;

import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasGemmAlgo;
import jcuda.jcublas.cublasHandle;
import jcuda.runtime.cudaStream_t;

/**
 * Backend.matmul through cuBLAS 12 (JCublas2 12.6), the choice on CUDA 12 machines: its JNI library needs
 * {@code libcublas.so.12}, which CUDA 13 machines lack ({@link Cublas13Gemm} serves those). The row-major request
 * becomes a column-major call as {@link GemmMapping} explains.
 *
 * <p>Compute type: {@code CUBLAS_COMPUTE_32F} (full fp32, what the parity tests expect) or, with
 * {@code tf32}, {@code CUBLAS_COMPUTE_32F_FAST_TF32} (tensor cores, ~10-bit mantissa products: 5–8× faster
 * on Ampere/Hopper, and errors of ~1e-3 relative). The {@code _new} JCublas2 entry points are used because
 * the old ones take the legacy cudaDataType compute type and reject the TF32 one.
 *
 * <p>The handle runs on the backend's stream and owns a fixed workspace (32 MiB on Hopper, 4 MiB otherwise,
 * as the cuBLAS docs recommend), so cuBLAS never allocates behind the caching allocator's back.
 */
final class JCublas2Gemm implements GpuGemm {
    private final cublasHandle handle = new cublasHandle();
    private final boolean tf32;
    private final CudaBuffer workspace;
    private final LaunchContext lc;
    private final ResourceStack resources = new ResourceStack();

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

    JCublas2Gemm(CudaContext ctx, LaunchContext lc, boolean tf32) {
        this.lc = lc;
        this.tf32 = tf32;
        JCublas2.setExceptionsEnabled(true);
        try {
            cublas("cublasCreate", () -> JCublas2.cublasCreate(handle));
            resources.push("JCublas2 handle", () -> cublas("cublasDestroy", () -> JCublas2.cublasDestroy(handle)));
            cublas("cublasSetStream", () -> JCublas2.cublasSetStream(handle, new cudaStream_t(ctx.stream())));
            long wsBytes = ctx.status().ccMajor() >= 9 ? 32L << 20 : 4L << 20;
            workspace = lc.scratch(wsBytes / 4);
            resources.push("cuBLAS workspace", () -> lc.release(workspace));
            cublas("cublasSetWorkspace", () -> JCublas2.cublasSetWorkspace(handle, workspace.pointer(), wsBytes));
        } catch (RuntimeException | Error e) {
            resources.closeAfter(e);
            throw e;
        }
    }

    @Override
    public String describe() {
        return "cuBLAS 12 via JCublas2 (libcublas.so.12), " + (tf32 ? "TF32 tensor cores" : "fp32");
    }

    @Override
    public boolean tf32() {
        return tf32;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, CudaBuffer a,
                     int aBatchStride, CudaBuffer b, int bBatchStride, float beta, CudaBuffer c) {
        if (batch == 0 || m == 0 || n == 0) return;
        GemmMapping g = GemmMapping.of(transA, transB, batch, m, n, k, aBatchStride, bBatchStride);
        GemmMapping.Types t = tf32 ? GemmMapping.Types.TF32 : GemmMapping.Types.FP32;
        int algo = cublasGemmAlgo.CUBLAS_GEMM_DEFAULT;
        // Host scalars: cuBLAS reads them during the call, so Java arrays are safe here.
        Pointer pAlpha = Pointer.to(new float[] {alpha}), pBeta = Pointer.to(new float[] {beta});
        if (batch == 1) {
            cublas("cublasGemmEx_new(m=" + m + ", n=" + n + ", k=" + k + ")",
                    () -> JCublas2.cublasGemmEx_new(handle, g.transA(), g.transB(), g.m(), g.n(), g.k(), pAlpha, b.pointer(),
                            t.aType(), g.lda(), a.pointer(), t.bType(), g.ldb(), pBeta, c.pointer(), t.cType(), g.ldc(),
                            t.computeType(), algo));
        } else {
            cublas("cublasGemmStridedBatchedEx_new(batch=" + batch + ", m=" + m + ", n=" + n + ", k=" + k + ")",
                    () -> JCublas2.cublasGemmStridedBatchedEx_new(handle, g.transA(), g.transB(), g.m(), g.n(), g.k(), pAlpha,
                            b.pointer(), t.aType(), g.lda(), g.strideA(), a.pointer(), t.bType(), g.ldb(), g.strideB(), pBeta,
                            c.pointer(), t.cType(), g.ldc(), g.strideC(), g.batch(), t.computeType(), algo));
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
        resources.close();
    }
}
