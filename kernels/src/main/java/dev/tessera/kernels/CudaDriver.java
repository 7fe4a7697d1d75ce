package dev.tessera.kernels;

import java.nio.ByteBuffer;
import java.util.function.Supplier;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;

/**
 * Every CUDA driver call the backend makes, in one interface, so that everything above it — context, module,
 * allocator, staging, launchers, {@link CudaBackend} itself — runs unchanged on two implementations:
 * <ul>
 *   <li>{@link JCudaDriverCalls}, the real driver through JCuda's {@code JCudaDriver};</li>
 *   <li>{@link RecordingDriver}, no GPU at all: it hands out fake handles and addresses, runs no kernel, and
 *       counts what a real device would have been asked to do (kernel launches by name, memsets, copies and
 *       their bytes, host waits). The launch census ({@link LaunchCensus}) runs whole training steps on it, and
 *       the CPU tests of the backend's error paths (a sticky fault at close, a failure halfway through the
 *       constructor) inject failures into it.</li>
 * </ul>
 * Every method throws {@link CudaCallException} naming the call when the driver reports an error; the only
 * exception is {@link #malloc}, which returns null when the device is out of memory so the caching allocator can
 * empty its cache and retry.
 */
interface CudaDriver {

    /** Page-locked host memory: the pointer the copy calls take and a native-order view of the same bytes. */
    record HostMemory(Pointer pointer, ByteBuffer view) {}

    // ------------------------------------------------------------------ device, context, stream

    void init();

    CUdevice device(int ordinal);

    CUcontext retainPrimaryContext(CUdevice device);

    void releasePrimaryContext(CUdevice device);

    /** Destroys every allocation of the device's primary context and clears a sticky error (cuDevicePrimaryCtxReset). */
    void resetPrimaryContext(CUdevice device);

    void setCurrent(CUcontext context);

    CUstream createStream();

    void destroyStream(CUstream stream);

    /** Blocks the host until {@code stream} is idle; asynchronous kernel faults surface here. */
    void synchronize(CUstream stream);

    /** {free, total} device memory in bytes. */
    long[] memoryInfo();

    // ------------------------------------------------------------------ kernels

    /** Loads the fatbin {@code image} supplies (a driver without a device may never ask for it). */
    CUmodule loadModule(Supplier<byte[]> image);

    CUfunction function(CUmodule module, String name);

    void unloadModule(CUmodule module);

    /**
     * Lets {@code function} use {@code bytes} of dynamic shared memory. Above 48 KiB a kernel must opt in
     * (CUDA Programming Guide, "Shared Memory" for compute capability 8.x/9.x); the tensor-core tiles need ~99 KiB.
     */
    void allowSharedMemory(String name, CUfunction function, int bytes);

    /** Queues kernel {@code name} (found as {@code function}) on {@code stream}. */
    void launch(String name, CUfunction function, LaunchConfig config, CUstream stream, KernelArgs args);

    // ------------------------------------------------------------------ memory and copies

    /** A new device block of {@code bytes}, or null when the device is out of memory. */
    CUdeviceptr malloc(long bytes);

    void free(CUdeviceptr pointer);

    HostMemory mallocHost(long bytes);

    void freeHost(HostMemory memory);

    /** Sets {@code words} 32-bit words at {@code pointer} to {@code bits}, queued on {@code stream}. */
    void memset(CUdeviceptr pointer, int bits, long words, CUstream stream);

    /** Host → device, queued on {@code stream}; {@code src} must be page-locked (a {@link HostMemory}). */
    void copyToDevice(CUdeviceptr dst, Pointer src, long bytes, CUstream stream);

    /** Device → host, queued on {@code stream}; {@code dst} must be page-locked. */
    void copyToHost(Pointer dst, CUdeviceptr src, long bytes, CUstream stream);

    // ------------------------------------------------------------------ events

    CUevent createEvent(boolean timing);

    void destroyEvent(CUevent event);

    void record(CUevent event, CUstream stream);

    /** True when the work before {@code event}'s last record has finished (or it was never recorded); never blocks. */
    boolean query(CUevent event);

    /** Blocks the host until the work before {@code event}'s last record has finished. */
    void waitEvent(CUevent event);

    /** Makes later work on {@code stream} wait for {@code event} without blocking the host (cuStreamWaitEvent). */
    void streamWait(CUstream stream, CUevent event);

    /** Milliseconds between two recorded (timing) events. */
    float elapsedMillis(CUevent start, CUevent end);

    // ------------------------------------------------------------------ CUDA graphs (stream capture)

    /**
     * Starts capturing {@code stream}: until {@link #endCapture}, work queued on it is recorded into a graph instead of
     * run (cuStreamBeginCapture, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: a cuMemAlloc or synchronize from this thread
     * while capturing is an error, which is what the caching allocator relies on to keep a capture honest).
     */
    void beginCapture(CUstream stream);

    /** Ends the capture of {@code stream} and returns the graph it recorded (cuStreamEndCapture). */
    CUgraph endCapture(CUstream stream);

    /** An executable instance of {@code graph} (cuGraphInstantiate): what {@link #graphLaunch} replays. */
    CUgraphExec instantiate(CUgraph graph);

    /** Queues one replay of {@code exec} on {@code stream}: every captured kernel and copy, as one launch. */
    void graphLaunch(CUgraphExec exec, CUstream stream);

    void destroyGraph(CUgraph graph);

    void destroyGraphExec(CUgraphExec exec);
}
