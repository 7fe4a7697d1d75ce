package dev.tessera.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;

/**
 * A {@link CudaDriver} with no GPU behind it. It gives out fake handles and distinct fake device addresses, runs
 * no kernel and moves no data (device memory is never allocated, so a ViT-B step at batch 256 fits any machine),
 * and counts what a real device would have been asked to do: kernel launches by name, memsets, copies and bytes in
 * each direction, host waits (stream synchronizes and event waits) and cuMemAlloc calls. Downloads read zeros.
 *
 * <p>Two users: the launch census ({@link LaunchCensus}), which drives real training steps through a
 * {@link CudaBackend} on this driver; and the CPU tests of the backend's lifecycle, which subclass it to make one
 * call fail (a sticky fault at synchronize, no pinned memory at start) and then check with {@link #leaks()} that
 * every allocation, event, stream, module and context was released anyway.
 */
class RecordingDriver implements CudaDriver {
    private static final long ADDRESS_BASE = 0x7f00_0000_0000L;

    private final long capacity;
    private final Map<String, Long> launches = new TreeMap<>();
    private final Map<CUdeviceptr, Long> blocks = new IdentityHashMap<>();
    private final Map<Pointer, ByteBuffer> host = new IdentityHashMap<>();
    private final Map<CUevent, Long> recorded = new IdentityHashMap<>();
    private long sequence, finished;
    private long nextAddress = ADDRESS_BASE;
    private long used;
    private long memsets, memsetBytes, uploads, uploadBytes, downloads, downloadBytes, streamSyncs, eventWaits, mallocs;
    private int contexts, streams, events, modules, resets;

    /** A device of {@code capacity} bytes (what cuMemGetInfo reports; malloc fails beyond it). */
    RecordingDriver(long capacity) {
        this.capacity = capacity;
    }

    /** The counters so far; {@link LaunchCensus.Counts#minus} of two snapshots is what happened in between. */
    synchronized LaunchCensus.Counts counts() {
        return new LaunchCensus.Counts(new TreeMap<>(launches), memsets, memsetBytes, uploads, uploadBytes, downloads,
                downloadBytes, streamSyncs, eventWaits, mallocs, used);
    }

    /** What is still held: an empty string when everything ever created was released. */
    synchronized String leaks() {
        StringBuilder sb = new StringBuilder();
        if (!blocks.isEmpty()) sb.append(blocks.size()).append(" device blocks; ");
        if (!host.isEmpty()) sb.append(host.size()).append(" pinned host blocks; ");
        if (contexts != 0) sb.append(contexts).append(" context references; ");
        if (streams != 0) sb.append(streams).append(" streams; ");
        if (events != 0) sb.append(events).append(" events; ");
        if (modules != 0) sb.append(modules).append(" modules; ");
        return sb.toString();
    }

    /** How many times the primary context was reset (after a sticky error). */
    synchronized int resets() {
        return resets;
    }

    /**
     * Called first by every driver method with the call's name: a test subclass throws here to make that call fail
     * (the CUDA error it would return) and checks what the backend does about it.
     */
    protected void before(String call) {}

    private long address(long bytes) {
        long a = nextAddress;
        nextAddress += (Math.max(1, bytes) + 255) / 256 * 256;
        return a;
    }

    // ------------------------------------------------------------------ device, context, stream

    @Override
    public void init() {
        before("init");
    }

    @Override
    public CUdevice device(int ordinal) {
        before("device");
        return new CUdevice();
    }

    @Override
    public synchronized CUcontext retainPrimaryContext(CUdevice device) {
        before("retainPrimaryContext");
        contexts++;
        return new CUcontext();
    }

    @Override
    public synchronized void releasePrimaryContext(CUdevice device) {
        before("releasePrimaryContext");
        contexts--;
    }

    @Override
    public synchronized void resetPrimaryContext(CUdevice device) {
        before("resetPrimaryContext");
        resets++;
    }

    @Override
    public void setCurrent(CUcontext context) {
        before("setCurrent");
    }

    @Override
    public synchronized CUstream createStream() {
        before("createStream");
        streams++;
        return new CUstream();
    }

    @Override
    public synchronized void destroyStream(CUstream stream) {
        before("destroyStream");
        streams--;
    }

    @Override
    public synchronized void synchronize(CUstream stream) {
        before("synchronize");
        streamSyncs++;
        finished = sequence;
    }

    @Override
    public synchronized long[] memoryInfo() {
        before("memoryInfo");
        return new long[] {capacity - used, capacity};
    }

    // ------------------------------------------------------------------ kernels

    @Override
    public synchronized CUmodule loadModule(Supplier<byte[]> image) {
        before("loadModule");
        modules++;
        return new CUmodule();
    }

    @Override
    public CUfunction function(CUmodule module, String name) {
        before("function");
        return new CUfunction();
    }

    @Override
    public synchronized void unloadModule(CUmodule module) {
        before("unloadModule");
        modules--;
    }

    @Override
    public synchronized void allowSharedMemory(String name, CUfunction function, int bytes) {
        before("allowSharedMemory");
    }

    @Override
    public synchronized void launch(String name, CUfunction function, LaunchConfig config, CUstream stream, KernelArgs args) {
        before("launch");
        launches.merge(name, 1L, Long::sum);
    }

    // ------------------------------------------------------------------ memory and copies

    @Override
    public synchronized CUdeviceptr malloc(long bytes) {
        before("malloc");
        if (used + bytes > capacity) return null;
        used += bytes;
        mallocs++;
        CUdeviceptr p = NativeAddress.assign(new CUdeviceptr(), address(bytes));
        blocks.put(p, bytes);
        return p;
    }

    @Override
    public synchronized void free(CUdeviceptr pointer) {
        before("free");
        Long bytes = blocks.remove(pointer);
        if (bytes == null) throw new IllegalStateException("cuMemFree of a pointer this driver did not allocate (or freed twice)");
        used -= bytes;
    }

    @Override
    public synchronized HostMemory mallocHost(long bytes) {
        before("mallocHost");
        ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.nativeOrder());
        Pointer p = Pointer.to(b);
        host.put(p, b);
        return new HostMemory(p, b);
    }

    @Override
    public synchronized void freeHost(HostMemory memory) {
        before("freeHost");
        if (host.remove(memory.pointer()) == null) throw new IllegalStateException("cuMemFreeHost of unknown host memory");
    }

    @Override
    public synchronized void memset(CUdeviceptr pointer, int bits, long words, CUstream stream) {
        before("memset");
        memsets++;
        memsetBytes += 4 * words;
    }

    @Override
    public synchronized void copyToDevice(CUdeviceptr dst, Pointer src, long bytes, CUstream stream) {
        before("copyToDevice");
        uploads++;
        uploadBytes += bytes;
    }

    /** The device holds nothing, so what arrives is zeros. */
    @Override
    public synchronized void copyToHost(Pointer dst, CUdeviceptr src, long bytes, CUstream stream) {
        before("copyToHost");
        downloads++;
        downloadBytes += bytes;
        ByteBuffer b = host.get(dst);
        if (b == null) throw new IllegalStateException("cuMemcpyDtoHAsync into memory that is not page-locked");
        for (int i = 0; i < bytes; i++) b.put(i, (byte) 0);
    }

    // ------------------------------------------------------------------ events

    @Override
    public synchronized CUevent createEvent(boolean timing) {
        before("createEvent");
        events++;
        return new CUevent();
    }

    @Override
    public synchronized void destroyEvent(CUevent event) {
        before("destroyEvent");
        events--;
    }

    /**
     * Event completion, modelled as a GPU that is always behind the host: work is known to be finished only once
     * the host has waited for it or for later work on the stream (every call uses the backend's one stream).
     */
    @Override
    public synchronized void record(CUevent event, CUstream stream) {
        before("record");
        recorded.put(event, ++sequence);
    }

    @Override
    public synchronized boolean query(CUevent event) {
        before("query");
        return recorded.getOrDefault(event, 0L) <= finished;
    }

    @Override
    public synchronized void waitEvent(CUevent event) {
        before("waitEvent");
        eventWaits++;
        finished = Math.max(finished, recorded.getOrDefault(event, 0L));
    }

    @Override
    public void streamWait(CUstream stream, CUevent event) {
        before("streamWait");
    }

    /** No time passes on a recording driver. */
    @Override
    public float elapsedMillis(CUevent start, CUevent end) {
        before("elapsedMillis");
        return 0f;
    }
}
