package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

/**
 * Launcher for gather.cu: token gather along the middle axis and its adjoint scatter-add. CPU reference:
 * {@code GatherCpu}. The loops, one thread per element of the [outer, indexLength, inner] side:
 * <pre>
 *   gather:      out[o, j, c]  = src[o, index[o, j], c]
 *   scatterAdd:  dst[o, index[o, j], c] += src[o, j, c]     (atomicAdd: see gather.cu on determinism)
 * </pre>
 * An out-of-range index cannot throw inside a kernel; the kernel records the first one in a small device
 * word and {@link #checkErrors} (called by the backend after every synchronize and download) throws the
 * IndexOutOfBoundsException the CPU reference would have thrown, with the same message.
 */
public final class GatherCuda implements AutoCloseable {
    public static final int DEFAULT_BLOCK = 256;
    private static final int ERR_WORDS = 5;

    private final CudaContext ctx;
    private final LaunchContext lc;
    private final DeviceAllocator.Allocation err;
    private boolean launchedSinceCheck;

    GatherCuda(CudaContext ctx, LaunchContext lc) {
        this.ctx = ctx;
        this.lc = lc;
        this.err = lc.allocator.allocate(4L * ERR_WORDS);
    }

    /** Zeroes the device error word (cuMemAlloc does not); the backend calls it once at start. */
    void reset() {
        CudaCallException.check("cuMemsetD32Async(gather error word)",
                () -> JCudaDriver.cuMemsetD32Async(err.ptr(), 0, ERR_WORDS, ctx.stream()));
    }

    public void gather(Buffer src, Buffer index, Buffer out, int outer, int srcLength, int indexLength, int inner,
                       int block) {
        long n = (long) outer * indexLength * inner;
        CudaBuffer ss = lc.required(src, (long) outer * srcLength * inner, "gather src");
        CudaBuffer is = lc.ints(index, (long) outer * indexLength, "gather index");
        CudaBuffer os = lc.required(out, n, "gather out");
        launch("gather_rows", n, block, new KernelArgs().ptr(ss).ptr(is).ptr(os).i(outer).i(srcLength)
                .i(indexLength).i(inner).ptr(err.ptr()));
    }

    public void scatterAdd(Buffer src, Buffer index, Buffer dst, int outer, int dstLength, int indexLength, int inner,
                           int block) {
        long n = (long) outer * indexLength * inner;
        CudaBuffer ss = lc.required(src, n, "scatterAdd src");
        CudaBuffer is = lc.ints(index, (long) outer * indexLength, "scatterAdd index");
        CudaBuffer ds = lc.required(dst, (long) outer * dstLength * inner, "scatterAdd dst");
        launch("scatter_add_rows", n, block, new KernelArgs().ptr(ss).ptr(is).ptr(ds).i(outer).i(dstLength)
                .i(indexLength).i(inner).ptr(err.ptr()));
    }

    private void launch(String kernel, long n, int block, KernelArgs args) {
        if (n == 0) return;
        lc.module.launch(kernel, LaunchConfig.linear(n, LaunchConfig.checkWarpMultiple(kernel, block)), args);
        launchedSinceCheck = true;
    }

    /**
     * Throws if a gather or scatter since the last check met a bad index. Call only after the stream was
     * synchronized (the copy below is a plain synchronous one on another stream's view of memory).
     */
    void checkErrors() {
        if (!launchedSinceCheck) return;
        launchedSinceCheck = false;
        int[] e = new int[ERR_WORDS];
        CudaCallException.check("cuMemcpyDtoH(gather error word)",
                () -> JCudaDriver.cuMemcpyDtoH(Pointer.to(e), err.ptr(), 4L * ERR_WORDS));
        if (e[0] == 0) return;
        reset();
        throw new IndexOutOfBoundsException(message(e));
    }

    /** The CPU reference's message for error record {kind, o, j, index, length}. */
    static String message(int[] e) {
        String op = e[0] == 1 ? "gather" : "scatterAdd";
        return op + ": index " + e[3] + " at [" + e[1] + ", " + e[2] + "] is outside [0, " + e[4] + ")";
    }

    @Override
    public void close() {
        lc.allocator.release(err);
    }
}
