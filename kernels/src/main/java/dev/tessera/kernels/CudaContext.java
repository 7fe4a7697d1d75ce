package dev.tessera.kernels;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUstream;

/**
 * One CUDA device as Tessera uses it: the device's primary context (the one cuBLAS and the runtime API also
 * use, so a cuBLAS handle shares our allocations) and ONE non-blocking stream on which every kernel, copy and
 * cuBLAS call is queued. A single stream is what makes the whole backend "behave as if each call finished before
 * the next began" (the Backend contract) and what lets the caching allocator hand a freed block to the next
 * request without events.
 *
 * <p>A second, "copy" stream carries only {@link CudaBackend#prefetch}'s host→device copies of the next batch, so
 * they overlap the kernels of the current step; the two streams are ordered by events (the copy waits for the
 * compute stream's last use of its buffer, the step waits for the copy), never by a host wait.
 *
 * <p>CUDA contexts are current per OS thread, so every entry point of {@link CudaBackend} calls
 * {@link #makeCurrent()}; a thread-local remembers the context this thread last made current so the driver call
 * happens only when it changes (a data-loader thread uploading a batch, a second backend on the same thread).
 *
 * <p>A sticky error (a kernel fault: {@link CudaCallException#isSticky}) makes the context unusable for the rest
 * of the process. {@link #close} therefore resets the primary context after such an error
 * ({@code cuDevicePrimaryCtxReset}), so the next backend — the next test class of a GPU test run — gets a clean one.
 */
public final class CudaContext implements AutoCloseable {
    private static final ThreadLocal<CUcontext> CURRENT = new ThreadLocal<>();

    private final CudaDriver driver;
    private final CudaStatus status;
    private final CUdevice device;
    private final CUcontext context;
    private final CUstream stream;
    private final CUstream copyStream;
    private boolean closed;
    private boolean poisoned;
    /** Whether a copy was queued on the copy stream since the last synchronize (else there is nothing to wait for). */
    private boolean copyQueued;

    /** Retains the primary context of {@code status.device()}; throws {@link CudaUnavailableException} with the probe's reason. */
    CudaContext(CudaDriver driver, CudaStatus status) {
        if (!status.available()) throw new CudaUnavailableException(status.reason());
        this.driver = driver;
        this.status = status;
        driver.init();
        device = driver.device(status.device());
        context = driver.retainPrimaryContext(device);
        try {
            makeCurrent();
            stream = driver.createStream();
        } catch (RuntimeException | Error e) {
            releaseAfter(e);
            throw e;
        }
        try {
            copyStream = driver.createStream();
        } catch (RuntimeException | Error e) {
            try {
                driver.destroyStream(stream);
            } catch (RuntimeException x) {
                e.addSuppressed(x);
            }
            releaseAfter(e);
            throw e;
        }
    }

    private void releaseAfter(Throwable e) {
        try {
            driver.releasePrimaryContext(device);
        } catch (RuntimeException x) {
            e.addSuppressed(x);
        }
    }

    public int ordinal() {
        return status.device();
    }

    public CudaStatus status() {
        return status;
    }

    CudaDriver driver() {
        return driver;
    }

    CUstream stream() {
        return stream;
    }

    /** The stream of {@link CudaBackend#prefetch}'s copies (nothing else is queued there). */
    CUstream copyStream() {
        copyQueued = true;
        return copyStream;
    }

    /** Makes this context current on the calling thread (cheap when it already is). */
    public void makeCurrent() {
        if (CURRENT.get() != context) {
            driver.setCurrent(context);
            CURRENT.set(context);
        }
    }

    /** Waits for everything queued on both streams; asynchronous kernel faults surface here (and mark the context). */
    public void synchronize() {
        makeCurrent();
        try {
            driver.synchronize(stream);
            if (copyQueued) driver.synchronize(copyStream);
            copyQueued = false;
        } catch (CudaCallException e) {
            if (e.isSticky()) poisoned = true;
            throw e;
        }
    }

    /** Remembers that a kernel faulted, so {@link #close} resets the primary context. */
    void poison() {
        poisoned = true;
    }

    boolean poisoned() {
        return poisoned;
    }

    /** {free, total} device memory in bytes, as the driver sees it (all processes). */
    public long[] memoryInfo() {
        makeCurrent();
        return driver.memoryInfo();
    }

    /**
     * Destroys the stream and releases the primary context, each step even if an earlier one failed; after a
     * sticky error also resets the primary context. Throws the first failure, later ones suppressed.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ResourceStack steps = new ResourceStack();
        if (poisoned) steps.push("primary context reset", () -> driver.resetPrimaryContext(device));
        steps.push("primary context", () -> driver.releasePrimaryContext(device));
        steps.push("stream", () -> {
            makeCurrent();
            driver.destroyStream(stream);
        });
        steps.push("copy stream", () -> {
            makeCurrent();
            driver.destroyStream(copyStream);
        });
        try {
            steps.close();
        } finally {
            CURRENT.remove();
        }
    }
}
