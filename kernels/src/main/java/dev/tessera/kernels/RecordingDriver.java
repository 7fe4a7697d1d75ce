package dev.tessera.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * A {@link CudaDriver} with no GPU behind it. It gives out fake handles and distinct fake device addresses, runs
 * no kernel and moves no data (device memory is never allocated, so a ViT-B step at batch 256 fits any machine),
 * and counts what a real device would have been asked to do: kernel launches by name, memsets, copies and bytes in
 * each direction, host waits (stream synchronizes and event waits) and cuMemAlloc calls. Downloads read zeros.
 *
 * <p>Two users: the launch census ({@link LaunchCensus}), which drives real training steps through a
 * {@link CudaBackend} on this driver; and the CPU tests of the backend's lifecycle, which subclass it to make one
 * call fail (a sticky fault at synchronize, no pinned memory at start) and then check with {@link #leaks()} that
 * every allocation, event, stream, module and context was released anyway.
 *
 * <p>Streams and graphs: every call that queues work names its stream in the {@link #trace} ("copy→device on
 * stream 1", "wait on stream 0", "launch adamw_ranges on stream 0"), so a test can see an upload leave the compute
 * stream and the wait that orders it. A stream capture behaves as the driver's THREAD_LOCAL mode: work queued on
 * the capturing stream becomes nodes of the graph (counted as captured, not run), and a cuMemAlloc, a synchronize,
 * an event wait or a device→host copy meanwhile fails with CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; a graph launch
 * counts as one launch of the graph, none of its kernels. With {@link #keepUploads} the bytes of every host→device
 * copy are kept, so a test can compare what a replay was fed with what an eager step uploaded.
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
    private long graphLaunches, streamWaits, capturedNodes;
    private final Map<CUstream, Integer> streamIds = new IdentityHashMap<>();
    private final Map<CUgraph, Long> graphs = new IdentityHashMap<>();
    private final Map<CUgraphExec, Long> execs = new IdentityHashMap<>();
    private final List<String> trace = new ArrayList<>();
    private boolean tracing;
    private CUstream capturing;
    private long nodesInCapture;
    private boolean keepUploads;
    private final List<Upload> kept = new ArrayList<>();

    /** One host→device copy as {@link #keepUploads} keeps it: the destination address, the bytes and the stream. */
    record Upload(long address, byte[] bytes, int stream) {}

    /** "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED": what the driver returns for a forbidden call during a capture. */
    static final int CAPTURE_UNSUPPORTED = 900;

    /** A device of {@code capacity} bytes (what cuMemGetInfo reports; malloc fails beyond it). */
    RecordingDriver(long capacity) {
        this.capacity = capacity;
    }

    /** The counters so far; {@link LaunchCensus.Counts#minus} of two snapshots is what happened in between. */
    synchronized LaunchCensus.Counts counts() {
        return new LaunchCensus.Counts(new TreeMap<>(launches), graphLaunches, memsets, memsetBytes, uploads, uploadBytes,
                downloads, downloadBytes, streamSyncs, eventWaits, streamWaits, mallocs, used);
    }

    /** Starts (or stops) writing the {@link #trace}; the census leaves it off. */
    synchronized void tracing(boolean on) {
        tracing = on;
    }

    /** The queued work since tracing started, one line per call, naming its stream (0 = the first stream created). */
    synchronized List<String> trace() {
        return List.copyOf(trace);
    }

    synchronized void clearTrace() {
        trace.clear();
    }

    /** Keeps the bytes of every later host→device copy ({@link #uploads()}). */
    synchronized void keepUploads(boolean on) {
        keepUploads = on;
    }

    /** The host→device copies kept since {@link #keepUploads}, in order; {@link #clearUploads} forgets them. */
    synchronized List<Upload> uploads() {
        return List.copyOf(kept);
    }

    synchronized void clearUploads() {
        kept.clear();
    }

    /** Graph launches so far (a replayed step is one). */
    synchronized long graphLaunches() {
        return graphLaunches;
    }

    /** cuStreamWaitEvent calls so far (each orders one stream after another's event, without a host wait). */
    synchronized long streamWaits() {
        return streamWaits;
    }

    /** Kernels, memsets and copies recorded into graphs so far (none of them ran). */
    synchronized long capturedNodes() {
        return capturedNodes;
    }

    /** The id of {@code stream} in the trace: 0 for the first stream created, 1 for the next … */
    synchronized int streamId(CUstream stream) {
        Integer id = streamIds.get(stream);
        if (id == null) throw new IllegalStateException("a call on a stream this driver did not create");
        return id;
    }

    private void traced(String what, CUstream stream) {
        if (tracing) trace.add(what + " on stream " + streamId(stream));
    }

    /** True when the call queues onto the capturing stream: it becomes a graph node and does not count as run. */
    private boolean captured(String what, CUstream stream) {
        if (capturing == null || stream != capturing) return false;
        nodesInCapture++;
        capturedNodes++;
        if (tracing) trace.add("capture " + what);
        return true;
    }

    /** A call the driver refuses while this thread captures a stream (THREAD_LOCAL mode). */
    private void refusedWhileCapturing(String call) {
        if (capturing != null) {
            throw new CudaCallException(call + " during stream capture", CAPTURE_UNSUPPORTED, null);
        }
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
        if (!graphs.isEmpty()) sb.append(graphs.size()).append(" graphs; ");
        if (!execs.isEmpty()) sb.append(execs.size()).append(" graph execs; ");
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
        CUstream s = new CUstream();
        streamIds.put(s, streamIds.size());
        return s;
    }

    @Override
    public synchronized void destroyStream(CUstream stream) {
        before("destroyStream");
        streams--;
    }

    @Override
    public synchronized void synchronize(CUstream stream) {
        before("synchronize");
        refusedWhileCapturing("cuStreamSynchronize");
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
        if (captured("launch " + name, stream)) return;
        traced("launch " + name, stream);
        launches.merge(name, 1L, Long::sum);
    }

    // ------------------------------------------------------------------ memory and copies

    @Override
    public synchronized CUdeviceptr malloc(long bytes) {
        before("malloc");
        refusedWhileCapturing("cuMemAlloc(" + bytes + " bytes)");
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
        if (captured("memset", stream)) return;
        traced("memset", stream);
        memsets++;
        memsetBytes += 4 * words;
    }

    @Override
    public synchronized void copyToDevice(CUdeviceptr dst, Pointer src, long bytes, CUstream stream) {
        before("copyToDevice");
        if (keepUploads) {
            ByteBuffer b = host.get(src);
            if (b == null) throw new IllegalStateException("cuMemcpyHtoDAsync from memory that is not page-locked");
            byte[] copy = new byte[Math.toIntExact(bytes)];
            b.duplicate().clear().get(copy);
            kept.add(new Upload(NativeAddress.of(dst), copy, streamId(stream)));
        }
        if (captured("copy→device", stream)) return;
        traced("copy→device " + bytes + " bytes", stream);
        uploads++;
        uploadBytes += bytes;
    }

    /** The device holds nothing, so what arrives is zeros. */
    @Override
    public synchronized void copyToHost(Pointer dst, CUdeviceptr src, long bytes, CUstream stream) {
        before("copyToHost");
        refusedWhileCapturing("cuMemcpyDtoHAsync");
        traced("copy→host " + bytes + " bytes", stream);
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
        if (captured("event record", stream)) return;
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
        refusedWhileCapturing("cuEventSynchronize");
        eventWaits++;
        finished = Math.max(finished, recorded.getOrDefault(event, 0L));
    }

    @Override
    public synchronized void streamWait(CUstream stream, CUevent event) {
        before("streamWait");
        if (captured("wait", stream)) return;
        traced("wait", stream);
        streamWaits++;
    }

    /** No time passes on a recording driver. */
    @Override
    public float elapsedMillis(CUevent start, CUevent end) {
        before("elapsedMillis");
        return 0f;
    }

    // ------------------------------------------------------------------ CUDA graphs

    @Override
    public synchronized void beginCapture(CUstream stream) {
        before("beginCapture");
        if (capturing != null) throw new CudaCallException("cuStreamBeginCapture while capturing", CAPTURE_UNSUPPORTED, null);
        streamId(stream);
        capturing = stream;
        nodesInCapture = 0;
        if (tracing) trace.add("begin capture on stream " + streamId(stream));
    }

    @Override
    public synchronized CUgraph endCapture(CUstream stream) {
        before("endCapture");
        if (capturing != stream) throw new CudaCallException("cuStreamEndCapture of a stream not capturing", 901, null);
        capturing = null;
        CUgraph g = new CUgraph();
        graphs.put(g, nodesInCapture);
        if (tracing) trace.add("end capture on stream " + streamId(stream) + ": " + nodesInCapture + " nodes");
        return g;
    }

    @Override
    public synchronized CUgraphExec instantiate(CUgraph graph) {
        before("instantiate");
        Long nodes = graphs.get(graph);
        if (nodes == null) throw new IllegalStateException("cuGraphInstantiate of an unknown graph");
        CUgraphExec e = new CUgraphExec();
        execs.put(e, nodes);
        return e;
    }

    @Override
    public synchronized void graphLaunch(CUgraphExec exec, CUstream stream) {
        before("graphLaunch");
        if (!execs.containsKey(exec)) throw new IllegalStateException("cuGraphLaunch of an unknown or destroyed graph exec");
        refusedWhileCapturing("cuGraphLaunch");
        traced("graph launch", stream);
        graphLaunches++;
    }

    @Override
    public synchronized void destroyGraph(CUgraph graph) {
        before("destroyGraph");
        if (graphs.remove(graph) == null) throw new IllegalStateException("cuGraphDestroy of an unknown graph");
    }

    @Override
    public synchronized void destroyGraphExec(CUgraphExec exec) {
        before("destroyGraphExec");
        if (execs.remove(exec) == null) throw new IllegalStateException("cuGraphExecDestroy of an unknown graph exec");
    }
}
