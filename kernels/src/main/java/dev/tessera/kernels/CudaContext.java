package dev.tessera.kernels;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device as Tessera uses it: the device's primary context (the one cuBLAS and the runtime API also
 * use, so a JCublas2 handle shares our allocations) and ONE non-blocking stream on which every kernel, copy
 * and cuBLAS call is queued. A single stream is what makes the whole backend "behave as if each call finished
 * before the next began" (the Backend contract) and what lets the caching allocator hand a freed block to the
 * next request without events.
 *
 * <p>CUDA contexts are current per OS thread, so every entry point of {@link CudaBackend} calls
 * {@link #makeCurrent()}; a thread-local remembers the context this thread last made current so the JNI call
 * happens only when it changes (a data-loader thread uploading a batch, a second backend on the same thread).
 *
 * <p>JCuda exceptions are switched on here (a static, per-binding flag): a failed driver call anywhere throws
 * instead of returning a code nobody reads, and {@link CudaCallException#check} adds the call's name.
 */
public final class CudaContext implements AutoCloseable {
    private static final ThreadLocal<CUcontext> CURRENT = new ThreadLocal<>();

    private final int ordinal;
    private final CudaStatus status;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private boolean closed;

    /** Retains device {@code ordinal}'s primary context; throws {@link CudaUnavailableException} with the probe's reason. */
    public CudaContext(int ordinal) {
        this.ordinal = ordinal;
        this.status = CudaProbe.probe(ordinal);
        if (!status.available()) throw new CudaUnavailableException(status.reason());
        JCudaDriver.setExceptionsEnabled(true);
        CudaCallException.check("cuInit", () -> JCudaDriver.cuInit(0));
        CudaCallException.check("cuDeviceGet(" + ordinal + ")", () -> JCudaDriver.cuDeviceGet(device, ordinal));
        CudaCallException.check("cuDevicePrimaryCtxRetain", () -> JCudaDriver.cuDevicePrimaryCtxRetain(context, device));
        makeCurrent();
        CudaCallException.check("cuStreamCreate",
                () -> JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING));
    }

    public int ordinal() {
        return ordinal;
    }

    public CudaStatus status() {
        return status;
    }

    CUstream stream() {
        return stream;
    }

    /** Makes this context current on the calling thread (cheap when it already is). */
    public void makeCurrent() {
        if (CURRENT.get() != context) {
            CudaCallException.check("cuCtxSetCurrent", () -> JCudaDriver.cuCtxSetCurrent(context));
            CURRENT.set(context);
        }
    }

    /** Waits for everything queued on the stream; asynchronous kernel faults surface here. */
    public void synchronize() {
        makeCurrent();
        CudaCallException.check("cuStreamSynchronize", () -> JCudaDriver.cuStreamSynchronize(stream));
    }

    /** {free, total} device memory in bytes, as the driver sees it (all processes). */
    public long[] memoryInfo() {
        makeCurrent();
        long[] free = {0}, total = {0};
        CudaCallException.check("cuMemGetInfo", () -> JCudaDriver.cuMemGetInfo(free, total));
        return new long[] {free[0], total[0]};
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        makeCurrent();
        CudaCallException.check("cuStreamDestroy", () -> JCudaDriver.cuStreamDestroy(stream));
        CudaCallException.check("cuDevicePrimaryCtxRelease", () -> JCudaDriver.cuDevicePrimaryCtxRelease(device));
        CURRENT.remove();
    }
}
