package dev.tessera.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Backend.matmul through cuBLAS 13, called with Java's FFM API ({@link Cublas13}); the first choice on CUDA 13
 * machines. The row-major request becomes a column-major call as {@link GemmMapping} explains; the compute type is
 * {@code CUBLAS_COMPUTE_32F} (full fp32, what the parity tests expect) or, with {@code tf32},
 * {@code CUBLAS_COMPUTE_32F_FAST_TF32} (tensor cores, ~1e-3 relative error, several times faster on Ampere/Hopper).
 *
 * <p>The handle runs on the backend's stream and owns a fixed workspace (32 MiB on Hopper, 4 MiB otherwise, as the
 * cuBLAS documentation recommends), so cuBLAS never allocates behind the caching allocator's back — which is also
 * what a captured CUDA graph needs.
 */
final class Cublas13Gemm implements GpuGemm {
    private final Cublas13 lib;
    private final LaunchContext lc;
    private final GemmMapping.Types types;
    private final ResourceStack resources = new ResourceStack();
    private final MemorySegment handle;
    private final CudaBuffer workspace;
    /** alpha at 0, beta at 4: host scalars cuBLAS reads during the call (host pointer mode). */
    private final MemorySegment scalars;
    private final Arena arena = Arena.ofShared();

    /** Finds and loads libcublas.so.13 with {@code locator}, then starts a handle on the backend's stream. */
    static Cublas13Gemm open(CudaContext ctx, LaunchContext lc, boolean tf32, CudaLibraryLocator locator) {
        CudaLibraryLocator.Located<Cublas13> lib = locator.locate(Cublas13::load);
        return new Cublas13Gemm(ctx, lc, tf32, lib.library());
    }

    Cublas13Gemm(CudaContext ctx, LaunchContext lc, boolean tf32, Cublas13 lib) {
        this.lib = lib;
        this.lc = lc;
        this.types = tf32 ? GemmMapping.Types.TF32 : GemmMapping.Types.FP32;
        try {
            resources.push("FFM arena", arena);
            scalars = arena.allocate(8, 4);
            ctx.makeCurrent();
            handle = lib.create();
            resources.push("cuBLAS 13 handle", () -> lib.destroy(handle));
            lib.setStream(handle, NativeAddress.of(ctx.stream()));
            long wsBytes = ctx.status().ccMajor() >= 9 ? 32L << 20 : 4L << 20;
            workspace = lc.scratch(wsBytes / 4);
            resources.push("cuBLAS workspace", () -> lc.release(workspace));
            lib.setWorkspace(handle, NativeAddress.of(workspace.pointer()), wsBytes);
        } catch (RuntimeException | Error e) {
            resources.closeAfter(e);
            throw e;
        }
    }

    @Override
    public String describe() {
        return "cuBLAS " + lib.version() + " via FFM (" + lib.found().describe() + "), " + types.label();
    }

    @Override
    public boolean tf32() {
        return types == GemmMapping.Types.TF32;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, CudaBuffer a,
                     int aBatchStride, CudaBuffer b, int bBatchStride, float beta, CudaBuffer c) {
        if (batch == 0 || m == 0 || n == 0) return;
        GemmMapping g = GemmMapping.of(transA, transB, batch, m, n, k, aBatchStride, bBatchStride);
        scalars.set(JAVA_FLOAT, 0, alpha);
        scalars.set(JAVA_FLOAT, 4, beta);
        lib.gemm(handle, g, types, scalars.asSlice(0, 4), NativeAddress.of(b.pointer()), NativeAddress.of(a.pointer()),
                scalars.asSlice(4, 4), NativeAddress.of(c.pointer()));
    }

    @Override
    public void close() {
        resources.close();
    }
}
