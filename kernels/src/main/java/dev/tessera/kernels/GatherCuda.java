package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;
import jcuda.driver.CUevent;

/**
 * Launcher for gather.cu: token gather along the middle axis and its adjoint scatter-add. CPU reference:
 * {@code GatherCpu}. The loops, one thread per element of the [outer, indexLength, inner] side:
 * <pre>
 *   gather:      out[o, j, c]  = src[o, index[o, j], c]
 *   scatterAdd:  dst[o, index[o, j], c] += src[o, j, c]     (atomicAdd: see gather.cu on determinism)
 * </pre>
 * An out-of-range index cannot throw inside a kernel; the kernel records the first one in a small device
 * record, and the backend reads it back with every synchronize and download: {@link #queueCheck} queues its copy
 * into pinned memory on the stream before the download's own copies, so the download's wait covers it, and
 * {@link #finishCheck} throws the IndexOutOfBoundsException the CPU reference would have thrown, with its message.
 */
public final class GatherCuda implements AutoCloseable {
    public static final int DEFAULT_BLOCK = 256;
    private static final int ERR_WORDS = 5;

    private final CudaContext ctx;
    private final CudaDriver driver;
    private final LaunchContext lc;
    private final ResourceStack resources = new ResourceStack();
    private final DeviceAllocator.Allocation err;
    private final CudaDriver.HostMemory hostErr;
    private final CUevent copied;
    private boolean launchedSinceCheck;
    private long launches;

    GatherCuda(CudaContext ctx, LaunchContext lc) {
        this.ctx = ctx;
        this.driver = ctx.driver();
        this.lc = lc;
        try {
            err = lc.allocator.allocate(4L * ERR_WORDS);
            resources.push("gather error record", () -> lc.allocator.release(err));
            hostErr = driver.mallocHost(4L * ERR_WORDS);
            resources.push("pinned gather error record", () -> driver.freeHost(hostErr));
            copied = driver.createEvent(false);
            resources.push("gather error event", () -> driver.destroyEvent(copied));
        } catch (RuntimeException | Error e) {
            resources.closeAfter(e);
            throw e;
        }
    }

    /** Zeroes the device error record (cuMemAlloc does not); the backend calls it once at start. */
    void reset() {
        driver.memset(err.ptr(), 0, ERR_WORDS, ctx.stream());
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
        launches++;
    }

    /** Gather and scatter launches queued (or captured into a CUDA graph) so far. */
    long launches() {
        return launches;
    }

    /** A replay of a captured step that gathers or scatters: the next synchronize or download reads the record again. */
    void launchedByGraph() {
        launchedSinceCheck = true;
    }

    /**
     * If a gather or scatter ran since the last check, queues the copy of the error record to the host (after
     * everything queued so far) and returns true; {@link #finishCheck} must follow.
     */
    boolean queueCheck() {
        if (!launchedSinceCheck) return false;
        launchedSinceCheck = false;
        driver.copyToHost(hostErr.pointer(), err.ptr(), 4L * ERR_WORDS, ctx.stream());
        driver.record(copied, ctx.stream());
        return true;
    }

    /**
     * Reads the record {@link #queueCheck} copied and throws if it holds a bad index. {@code streamWaited}: the
     * caller has since waited for later work on the stream (a download's own copy), so the record is already here;
     * otherwise (an empty download) this waits for the copy.
     */
    void finishCheck(boolean streamWaited) {
        if (!streamWaited) driver.waitEvent(copied);
        int[] e = new int[ERR_WORDS];
        hostErr.view().clear().asIntBuffer().get(e);
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
        resources.close();
    }
}
