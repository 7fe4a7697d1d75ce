package dev.tessera.kernels;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.CapturedStep;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.MemoryStats;
import dev.tessera.engine.backend.Precision;
import dev.tessera.engine.backend.Prefetch;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.backend.StepCaptureException;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA implementation of {@link Backend}: every primitive and fused op runs as one of our kernels (or
 * cuBLAS for matmul when it loads), queued on one stream of one device.
 *
 * <p>How the pieces fit, in reading order: {@link CudaProbe} says whether a device is usable;
 * {@link CudaContext} holds the device, its primary context and the stream; {@link KernelModule} loads the
 * fatbin and launches kernels; {@link DeviceAllocator} caches device blocks; {@link CudaBuffer} is a view of
 * one; {@link PinnedStaging} carries uploads and downloads. The launchers — {@link StridedCuda},
 * {@link ReduceCuda}, {@link GemmCuda} / {@link Cublas13Gemm} / {@link JCublas2Gemm}, {@link LayerNormCuda}, {@link SoftmaxCuda},
 * {@link AttentionCuda}, {@link GatherCuda}, {@link AdamWCuda} — each pair with one .cu file and one CPU
 * reference of the same base name.
 *
 * <p>Ordering: all work is queued on one stream, so calls behave as if each finished before the next began
 * (the Backend contract) while the host runs ahead. {@link #download} and {@link #synchronize} wait.
 * Memory: buffers allocated inside a {@link StepScope} go back to the caching allocator when it closes,
 * which keeps device memory flat across steps. Threads: any thread may call in (each call makes the context
 * current), but calls must not overlap — the engine drives a backend from one thread at a time.
 *
 * <pre>
 *   try (CudaBackend gpu = new CudaBackend(0)) { ... }     // throws CudaUnavailableException with a reason
 * </pre>
 */
public final class CudaBackend implements Backend {
    private static final System.Logger LOG = System.getLogger(CudaBackend.class.getName());

    private final CudaContext ctx;
    private final CudaDriver driver;
    /** Everything the constructor opened, closed in reverse by {@link #close}, each independently. */
    private final ResourceStack resources = new ResourceStack();
    private final KernelModule module;
    private final DeviceAllocator allocator;
    private final PinnedStaging staging;
    private final LaunchContext lc;
    private final StridedCuda strided;
    private final ReduceCuda reduce;
    private final GemmCuda gemmKernels;
    private final GemmSelection.Choice gemm;
    /** matmul and attention in the backend's precision: the fp32 choice above, or the tensor-core rungs. */
    private final PrecisionKernels precisionKernels;
    private final LayerNormCuda layerNorm;
    private final SoftmaxCuda softmax;
    private final AttentionCuda attention;
    private final GatherCuda gather;
    private final AdamWCuda adamW;
    private final MaskingCuda masking;
    private final GradClipCuda gradClip;
    private final ColumnSumsCuda columnSums;
    private final ResidualCuda residual;
    private final ArrayDeque<Scope> scopes = new ArrayDeque<>();
    private final Prefetcher prefetcher;
    /** The captured steps still alive, closed before the allocator; the one being recorded, if any. */
    private final List<CudaGraphStep> graphs = new ArrayList<>();
    private boolean capturing;
    /** {@link #adamWRanges}'s constants block for the {@link AdamWStep} form (written before each launch). */
    private Buffer adamWScratch;
    private boolean closed;

    /** Device {@code ordinal} with options from system properties ({@link CudaOptions#fromSystemProperties}). */
    public CudaBackend(int ordinal) {
        this(ordinal, CudaOptions.fromSystemProperties());
    }

    public CudaBackend(int ordinal, CudaOptions options) {
        this(JCudaDriverCalls.INSTANCE, CudaProbe.probe(ordinal), options, GemmSelection::candidates);
    }

    /**
     * The backend over any {@link CudaDriver} (the real one, or the recording driver of the launch census and the
     * CPU tests). {@code gemmCandidates} lists the cuBLAS bindings to try, in order, before our own kernels.
     * Nothing leaks when a step fails halfway: whatever was opened is closed again before the exception leaves.
     */
    CudaBackend(CudaDriver driver, CudaStatus status, CudaOptions options, GemmSelection.Candidates gemmCandidates) {
        this.driver = driver;
        String refused = PrecisionKernels.problem(status, options.precision());
        if (status.available() && refused != null) throw new IllegalArgumentException(refused);
        try {
            ctx = resources.push("context", new CudaContext(driver, status));
            module = resources.push("kernel module", new KernelModule(ctx, options.syncAfterLaunch()));
            allocator = resources.push("device allocator", new DeviceAllocator(new DriverMemory(ctx)));
            staging = resources.push("pinned staging", new PinnedStaging(ctx));
            prefetcher = resources.push("prefetch events", new Prefetcher(ctx, staging));
            lc = new LaunchContext(module, allocator, this, status.multiprocessors());
            strided = new StridedCuda(lc);
            reduce = new ReduceCuda(lc);
            gemmKernels = new GemmCuda(lc);
            layerNorm = new LayerNormCuda(lc);
            softmax = new SoftmaxCuda(lc);
            attention = new AttentionCuda(lc);
            gather = resources.push("gather error record", new GatherCuda(ctx, lc));
            gather.reset();
            adamW = resources.push("AdamW non-finite word", new AdamWCuda(ctx, lc));
            masking = new MaskingCuda(lc);
            gradClip = new GradClipCuda(lc);
            columnSums = new ColumnSumsCuda(lc);
            residual = new ResidualCuda(lc);
            gemm = GemmSelection.choose(options, gemmCandidates.list(ctx, lc, options), gemmKernels);
            resources.push("GEMM", gemm.gemm());
            precisionKernels = new PrecisionKernels(options.precision(), gemm, lc, attention);
        } catch (RuntimeException | Error e) {
            resources.closeAfter(e);
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "{0}; precision {1}; matmul: {2}; attention: {3}", status.describe(),
                options.precision().label(), precisionKernels.gemmDescription(), precisionKernels.attentionDescription());
    }

    @Override
    public String name() {
        return "cuda:" + ctx.ordinal() + " (" + ctx.status().deviceName() + ")";
    }

    public CudaStatus status() {
        return ctx.status();
    }

    @Override
    public Precision precision() {
        return precisionKernels.precision();
    }

    /**
     * Which GEMM runs matmul in this backend's precision and why, e.g. "cuBLAS 13.0.2 via FFM (/…/libcublas.so.13), fp32",
     * "own kernels (gemm.cu, fp32): cuBLAS 13 via FFM: libcublas.so.13 not found in […]; …" or, under bf16, "Tessera bf16
     * tensor-core GEMM (gemm_mma.cu, …) for --precision bf16; …" ({@link PrecisionKernels}).
     */
    public String gemmDescription() {
        return precisionKernels.gemmDescription();
    }

    /** Which attention kernels run in this backend's precision and why. */
    public String attentionDescription() {
        return precisionKernels.attentionDescription();
    }

    /** True when matmul really runs on TF32 tensor cores (our tf32 rung, or cuBLAS with TF32 asked for under fp32). */
    public boolean gemmUsesTf32() {
        return precisionKernels.gemmUsesTf32();
    }

    /** True after a kernel fault (a sticky error): every later call fails until the backend is closed and reopened. */
    boolean faulted() {
        return ctx.poisoned();
    }

    /** The context and launch context, for tests and timings that drive a binding directly (cuBLASLt), and for the
     *  launchers not yet wired into the Backend methods (GemmMmaCuda, FlashAttentionCuda). */
    CudaContext context() { return ctx; }
    LaunchContext launchContext() { return lc; }

    // The launchers, for parity tests and kernel benchmarks that pick variants and block sizes.
    public StridedCuda strided() { return strided; }
    public ReduceCuda reduceKernels() { return reduce; }
    public GemmCuda gemmKernels() { return gemmKernels; }
    public LayerNormCuda layerNorm() { return layerNorm; }
    public SoftmaxCuda softmax() { return softmax; }
    public AttentionCuda attention() { return attention; }
    public GatherCuda gatherKernels() { return gather; }
    public AdamWCuda adamWKernels() { return adamW; }
    public MaskingCuda maskingKernels() { return masking; }
    public GradClipCuda gradClipKernels() { return gradClip; }
    public ColumnSumsCuda columnSumsKernels() { return columnSums; }
    public ResidualCuda residualKernels() { return residual; }

    // ---------------------------------------------------------------- memory

    private final class Scope implements StepScope {
        final List<DeviceAllocator.Allocation> owned = new ArrayList<>();
        boolean closed;

        @Override
        public void close() {
            synchronized (CudaBackend.this) {
                if (closed) return;
                if (scopes.peek() != this) throw new IllegalStateException("step scopes must close innermost first");
                scopes.pop();
                closed = true;
                for (DeviceAllocator.Allocation a : owned) allocator.release(a);
                owned.clear();
            }
        }
    }

    @Override
    public synchronized StepScope openScope() {
        Scope s = new Scope();
        scopes.push(s);
        return s;
    }

    @Override
    public Buffer allocate(int length) {
        return allocate(length, false, true);
    }

    /** No zero-fill: the caller overwrites every element (a forward kernel's output, a GEMM with beta = 0). */
    @Override
    public Buffer allocateUninitialized(int length) {
        return allocate(length, false, false);
    }

    @Override
    public Buffer allocateInts(int length) {
        return allocate(length, true, true);
    }

    /** No zero-fill, for index outputs a kernel overwrites (the masking's ids). */
    @Override
    public Buffer allocateIntsUninitialized(int length) {
        return allocate(length, true, false);
    }

    private synchronized Buffer allocate(int length, boolean ints, boolean zero) {
        if (length < 0) throw new IllegalArgumentException("allocate: negative length " + length);
        ctx.makeCurrent();
        DeviceAllocator.Allocation a = allocator.allocate(4L * length);
        Scope s = scopes.peek();
        if (s != null) s.owned.add(a);
        CudaBuffer b = new CudaBuffer(a, this, 0, length, ints);
        if (zero) memset(b, 0);
        return b;
    }

    @Override
    public synchronized MemoryStats memoryStats() {
        return new MemoryStats(allocator.liveBuffers(), allocator.liveBytes(), allocator.pooledBytes(),
                allocator.systemAllocations());
    }

    /** Driver view {free, total} of device memory, for the memory test and `tessera info`. */
    public long[] deviceMemoryInfo() {
        return ctx.memoryInfo();
    }

    /** Host↔device traffic cannot be part of a graph: say what the step did instead of a driver error. */
    private void notCapturing(String what) {
        if (capturing) {
            throw new IllegalStateException(what + " during CUDA graph capture: a captured step's inputs must be in device "
                    + "buffers before it (Backend.prefetch) and its results are read after the replay");
        }
    }

    @Override
    public void upload(float[] src, Buffer dst) {
        notCapturing("upload of " + src.length + " floats");
        ctx.makeCurrent();
        CudaBuffer d = CudaBuffer.cast(dst, this, false, "upload");
        sameLength("upload", src.length, d);
        staging.upload(src, d.pointer());
    }

    /** The copy goes on the copy stream after everything queued so far ({@link Prefetcher}). */
    @Override
    public Prefetch prefetch(float[] src, Buffer dst) {
        notCapturing("prefetch of " + src.length + " floats");
        ctx.makeCurrent();
        CudaBuffer d = CudaBuffer.cast(dst, this, false, "prefetch");
        sameLength("prefetch", src.length, d);
        return prefetcher.copy(src, d.pointer());
    }

    @Override
    public float[] download(Buffer src) {
        notCapturing("download of " + src.length() + " floats");
        ctx.makeCurrent();
        CudaBuffer s = CudaBuffer.cast(src, this, false, "download");
        float[] out = new float[s.length()];
        boolean check = gather.queueCheck();   // before the data, so the data's wait covers it
        staging.download(s.pointer(), out);
        if (check) gather.finishCheck(out.length > 0);
        return out;
    }

    @Override
    public void uploadInts(int[] src, Buffer dst) {
        notCapturing("upload of " + src.length + " ints");
        ctx.makeCurrent();
        CudaBuffer d = CudaBuffer.cast(dst, this, true, "uploadInts");
        sameLength("uploadInts", src.length, d);
        staging.upload(src, d.pointer());
    }

    @Override
    public int[] downloadInts(Buffer src) {
        notCapturing("download of " + src.length() + " ints");
        ctx.makeCurrent();
        CudaBuffer s = CudaBuffer.cast(src, this, true, "downloadInts");
        int[] out = new int[s.length()];
        boolean check = gather.queueCheck();
        staging.download(s.pointer(), out);
        if (check) gather.finishCheck(out.length > 0);
        return out;
    }

    @Override
    public void fill(Buffer dst, float value) {
        ctx.makeCurrent();
        memset(CudaBuffer.cast(dst, this, false, "fill"), Float.floatToRawIntBits(value));
    }

    private void memset(CudaBuffer b, int bits) {
        if (b.length() == 0) return;
        driver.memset(b.pointer(), bits, b.length(), ctx.stream());
    }

    private static void sameLength(String op, int n, Buffer b) {
        if (n != b.length()) {
            throw new IllegalArgumentException(op + ": " + n + " host elements for a buffer of " + b.length());
        }
    }

    // ---------------------------------------------------------------- primitives

    @Override
    public void copyStrided(Buffer src, int[] srcStrides, Buffer dst, int[] dstStrides, int[] shape, boolean accumulate) {
        ctx.makeCurrent();
        strided.copy(src, srcStrides, dst, dstStrides, shape, accumulate, StridedCuda.DEFAULT_BLOCK);
    }

    @Override
    public void unary(UnaryOp op, float param, Buffer x, Buffer out) {
        ctx.makeCurrent();
        strided.unary(op, param, x, out, StridedCuda.DEFAULT_BLOCK);
    }

    @Override
    public void binary(BinaryOp op, Buffer a, int[] aStrides, Buffer b, int[] bStrides, Buffer out, int[] shape) {
        ctx.makeCurrent();
        strided.binary(op, a, aStrides, b, bStrides, out, shape, StridedCuda.DEFAULT_BLOCK);
    }

    @Override
    public void reduce(ReduceOp op, Buffer x, int outer, int length, int inner, Buffer out) {
        ctx.makeCurrent();
        reduce.reduce(op, x, outer, length, inner, out);
    }

    @Override
    public void addColumnSums(Buffer x, int rows, int cols, Buffer out) {
        ctx.makeCurrent();
        columnSums.addColumnSums(x, rows, cols, out);
    }

    @Override
    public void argmax(Buffer x, int outer, int length, int inner, Buffer outIndices) {
        ctx.makeCurrent();
        reduce.argmax(x, outer, length, inner, outIndices, ReduceCuda.ARGMAX_BLOCK);
    }

    @Override
    public void matmul(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                       Buffer a, int aBatchStride, Buffer b, int bBatchStride, float beta, Buffer c) {
        ctx.makeCurrent();
        GemmCuda.checkSizes(batch, m, n, k, a.length(), aBatchStride, b.length(), bBatchStride, c.length());
        precisionKernels.matmul(transA, transB, batch, m, n, k, alpha, lc.floats(a, 0, "matmul A"), aBatchStride,
                lc.floats(b, 0, "matmul B"), bBatchStride, beta, lc.floats(c, 0, "matmul C"));
    }

    /**
     * One launch of our GEMM with the bias (and GELU) in its epilogue when our kernels run matmul; behind cuBLAS the
     * reference composition (cuBLASLt's epilogues, {@link LtMatmulPlan}, are the way to fuse there).
     */
    @Override
    public void matmulEpilogue(Buffer x, Buffer w, Buffer bias, int m, int n, int k, boolean gelu, Buffer pre, Buffer out) {
        ctx.makeCurrent();
        // The fused epilogue rides on gemm.cu's fp32 tiles; tf32/bf16 products must go through the precision's
        // tensor-core GEMM (PrecisionKernels), so those precisions take the unfused sequence.
        if (precision() == Precision.FP32 && gemm.gemm() instanceof GemmCuda own) own.epilogue(x, w, bias, m, n, k, gelu, pre, out);
        else Backend.super.matmulEpilogue(x, w, bias, m, n, k, gelu, pre, out);
    }

    /**
     * dW and db of a Linear in one launch of our GEMM (gemm_wgrad_*, db summed from its A tiles) when our fp32
     * kernels run matmul; behind cuBLAS or a tensor-core precision the reference composition (GEMM + column sums).
     */
    @Override
    public void matmulWeightGrad(Buffer g, Buffer x, int rows, int n, int k, Buffer dw, boolean accumulateW, Buffer db,
                                 boolean accumulateB) {
        ctx.makeCurrent();
        if (precision() == Precision.FP32 && gemm.gemm() instanceof GemmCuda own) {
            own.weightGrad(g, x, rows, n, k, dw, accumulateW, db, accumulateB);
        } else {
            Backend.super.matmulWeightGrad(g, x, rows, n, k, dw, accumulateW, db, accumulateB);
        }
    }

    // ---------------------------------------------------------------- fused ops

    @Override
    public void scaledResidual(Buffer x, Buffer a, Buffer gamma, Buffer keep, int samples, int rows, int cols, Buffer out) {
        ctx.makeCurrent();
        residual.forward(x, a, gamma, keep, samples, rows, cols, out);
    }

    @Override
    public void scaledResidualBackward(Buffer g, Buffer a, Buffer gamma, Buffer keep, int samples, int rows, int cols,
                                       Buffer da, boolean accumulate, Buffer dgamma) {
        ctx.makeCurrent();
        residual.backward(g, a, gamma, keep, samples, rows, cols, da, accumulate, dgamma);
    }

    @Override
    public void layerNormForward(Buffer x, Buffer weight, Buffer bias, Buffer out, Buffer mean, Buffer rstd,
                                 int rows, int cols, float eps) {
        ctx.makeCurrent();
        layerNorm.forward(LayerNormCuda.DEFAULT, LayerNormCuda.DEFAULT_BLOCK, x, weight, bias, out, mean, rstd, rows,
                cols, eps);
    }

    @Override
    public void layerNormBackward(Buffer dout, Buffer x, Buffer weight, Buffer mean, Buffer rstd,
                                  Buffer dx, Buffer dweight, Buffer dbias, int rows, int cols) {
        ctx.makeCurrent();
        layerNorm.backward(LayerNormCuda.DEFAULT, LayerNormCuda.DEFAULT_BLOCK, dout, x, weight, mean, rstd, dx,
                dweight, dbias, rows, cols);
    }

    @Override
    public void softmaxForward(Buffer x, Buffer out, int rows, int cols, boolean log) {
        ctx.makeCurrent();
        SoftmaxCuda.Variant v = SoftmaxCuda.choose(cols);
        softmax.forward(v, SoftmaxCuda.defaultBlock(v), x, out, rows, cols, log);
    }

    @Override
    public void softmaxBackward(Buffer dout, Buffer out, Buffer dx, int rows, int cols, boolean log) {
        ctx.makeCurrent();
        SoftmaxCuda.Variant v = SoftmaxCuda.choose(cols);
        softmax.backward(v, SoftmaxCuda.defaultBlock(v), dout, out, dx, rows, cols, log);
    }

    @Override
    public void attentionForward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, float scale) {
        ctx.makeCurrent();
        precisionKernels.attentionForward(layout, q, k, v, out, lse, scale);
    }

    @Override
    public void attentionBackward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout,
                                  Buffer dq, Buffer dk, Buffer dv, float scale, GradMode mode) {
        ctx.makeCurrent();
        precisionKernels.attentionBackward(layout, q, k, v, out, lse, dout, dq, dk, dv, scale, mode);
    }

    @Override
    public void gather(Buffer src, Buffer index, Buffer out, int outer, int srcLength, int indexLength, int inner) {
        ctx.makeCurrent();
        gather.gather(src, index, out, outer, srcLength, indexLength, inner, GatherCuda.DEFAULT_BLOCK);
    }

    @Override
    public void scatterAdd(Buffer src, Buffer index, Buffer dst, int outer, int dstLength, int indexLength, int inner) {
        ctx.makeCurrent();
        gather.scatterAdd(src, index, dst, outer, dstLength, indexLength, inner, GatherCuda.DEFAULT_BLOCK);
    }

    @Override
    public synchronized void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, AdamWStep step) {
        ctx.makeCurrent();
        if (adamWScratch == null) adamWScratch = allocatePersistent(AdamWStep.SCALARS);
        adamWScalars(step, adamWScratch);     // queued before the launch on the one stream: the next call may rewrite it
        adamWRanges(param, grad, m, v, ranges, count, adamWScratch);
    }

    @Override
    public void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, Buffer scalars) {
        ctx.makeCurrent();
        adamW.stepRanges(param, grad, m, v, ranges, count, scalars, AdamWCuda.DEFAULT_BLOCK);
    }

    /** A buffer outside every open scope (the caller keeps it for the backend's life). */
    private Buffer allocatePersistent(int length) {
        ctx.makeCurrent();
        CudaBuffer b = new CudaBuffer(allocator.allocate(4L * length), this, 0, length, false);
        memset(b, 0);
        return b;
    }

    @Override
    public void argsortMask(Buffer noise, int rows, int length, int keep, Buffer idsShuffle, Buffer idsRestore,
                            Buffer idsKeep, Buffer mask) {
        ctx.makeCurrent();
        masking.argsortMask(noise, rows, length, keep, idsShuffle, idsRestore, idsKeep, mask, MaskingCuda.DEFAULT_BLOCK);
    }

    @Override
    public void adamW(Buffer param, Buffer grad, Buffer m, Buffer v, AdamWStep step) {
        ctx.makeCurrent();
        adamW.step(param, grad, m, v, step, AdamWCuda.DEFAULT_BLOCK);
    }

    @Override
    public boolean adamWNonFinite() {
        ctx.makeCurrent();
        return adamW.nonFinite();
    }

    @Override
    public void clipGlobalNorm(Buffer grads, float maxNorm, Buffer norm) {
        ctx.makeCurrent();
        gradClip.clip(grads, maxNorm, norm, GradClipCuda.DEFAULT_BLOCK);
    }

    @Override
    public void synchronize() {
        notCapturing("synchronize");
        boolean check = gather.queueCheck();
        ctx.synchronize();
        if (check) gather.finishCheck(true);
    }

    /**
     * Waits for queued work, then frees every device block, the staging memory, the module and the context. Each
     * release runs even if an earlier one fails: after a kernel fault (a sticky error) the synchronize fails and
     * so may the frees, and the context must still be released — and reset, so the next backend in this process
     * starts clean. The first failure (usually the synchronize's, naming the fault) is thrown, the rest suppressed.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        RuntimeException first = null;
        try {
            ctx.synchronize();   // marks the context for a reset when the error is sticky
        } catch (RuntimeException e) {
            first = e;
        }
        for (CudaGraphStep g : List.copyOf(graphs)) {
            try {
                g.close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        List<Exception> failures = resources.closeAll();
        if (first == null && failures.isEmpty()) return;
        if (first == null) {
            Exception f = failures.remove(0);
            first = f instanceof RuntimeException r ? r : new IllegalStateException(f.getMessage(), f);
        }
        for (Exception f : failures) first.addSuppressed(f);
        throw first;
    }

    // ---------------------------------------------------------------- CUDA graphs

    /**
     * Records {@code body} as a CUDA graph on the compute stream (stream capture). Its allocations come from a
     * private pool ({@link DeviceAllocator#beginPrivatePool}) that the graph keeps until it is closed; host traffic
     * inside is refused ({@link #notCapturing}), and so is cuMemAlloc (the driver's THREAD_LOCAL capture mode, and the
     * allocator before it). Any failure ends the capture, releases what it took and throws
     * {@link StepCaptureException}: the caller runs the step eagerly.
     */
    @Override
    public Optional<CapturedStep> captureStep(Runnable body) {
        return captureStep(body, null);
    }

    /** As {@link #captureStep(Runnable)}, its memory in the pool of {@code sharesMemoryWith} (one of this backend's). */
    @Override
    public synchronized Optional<CapturedStep> captureStep(Runnable body, CapturedStep sharesMemoryWith) {
        if (capturing) throw new IllegalStateException("captureStep inside a capture");
        ctx.makeCurrent();
        DeviceAllocator.PrivatePool shared = null;
        if (sharesMemoryWith != null) {
            if (!(sharesMemoryWith instanceof CudaGraphStep g) || g.backend() != this || g.closed) {
                throw new IllegalArgumentException("captureStep: sharesMemoryWith is not a live graph of this backend");
            }
            shared = g.pool;
        }
        DeviceAllocator.PrivatePool pool = shared == null ? allocator.beginPrivatePool() : allocator.beginPrivatePool(shared);
        long adamWLaunches = adamW.launches(), gatherLaunches = gather.launches();
        jcuda.driver.CUgraph graph = null;
        capturing = true;
        try {
            driver.beginCapture(ctx.stream());
            try {
                body.run();
            } catch (RuntimeException | Error e) {
                try {
                    driver.destroyGraph(driver.endCapture(ctx.stream()));
                } catch (RuntimeException x) {
                    e.addSuppressed(x);   // an invalidated capture ends with an error: the body's is the one to report
                }
                throw e;
            }
            graph = driver.endCapture(ctx.stream());
            capturing = false;
            allocator.endPrivatePool();
            CudaGraphStep step = new CudaGraphStep(graph, driver.instantiate(graph), pool,
                    adamW.launches() > adamWLaunches, gather.launches() > gatherLaunches);
            if (shared != null) allocator.sharePool(pool);
            graphs.add(step);
            return Optional.of(step);
        } catch (RuntimeException | Error e) {
            capturing = false;
            allocator.endPrivatePool();
            if (shared == null) allocator.releasePool(pool);      // a shared pool stays with the graph that owns it
            if (graph != null) {
                try {
                    driver.destroyGraph(graph);
                } catch (RuntimeException x) {
                    e.addSuppressed(x);
                }
            }
            if (e instanceof Error err) throw err;
            throw new StepCaptureException("CUDA graph capture failed: " + e.getMessage(), e);
        } finally {
            capturing = false;
        }
    }

    /** One captured step: the graph, its executable instance and the memory it owns. */
    private final class CudaGraphStep implements CapturedStep {
        private final jcuda.driver.CUgraph graph;
        private final jcuda.driver.CUgraphExec exec;
        private final DeviceAllocator.PrivatePool pool;
        /** Whether replays must be followed by a read of AdamW's non-finite word, of the gather error record. */
        private final boolean updatesAdamW, gathers;
        private boolean closed;

        CudaGraphStep(jcuda.driver.CUgraph graph, jcuda.driver.CUgraphExec exec, DeviceAllocator.PrivatePool pool,
                      boolean updatesAdamW, boolean gathers) {
            this.graph = graph;
            this.exec = exec;
            this.pool = pool;
            this.updatesAdamW = updatesAdamW;
            this.gathers = gathers;
        }

        CudaBackend backend() {
            return CudaBackend.this;
        }

        @Override
        public void replay() {
            synchronized (CudaBackend.this) {
                if (closed) throw new IllegalStateException("replay of a captured step that was closed");
                ctx.makeCurrent();
                driver.graphLaunch(exec, ctx.stream());
                if (updatesAdamW) adamW.launchedByGraph();
                if (gathers) gather.launchedByGraph();     // an index out of range inside the graph still throws
            }
        }

        /** The exec may still be running: the driver frees it when done, and the pool's blocks are next used after it. */
        @Override
        public void close() {
            synchronized (CudaBackend.this) {
                if (closed) return;
                closed = true;
                graphs.remove(this);
                ctx.makeCurrent();
                ResourceStack steps = new ResourceStack();
                steps.push("graph memory", () -> allocator.releasePool(pool));
                steps.push("graph", () -> driver.destroyGraph(graph));
                steps.push("graph exec", () -> driver.destroyGraphExec(exec));
                steps.close();
            }
        }
    }

    /** {@link DeviceAllocator.Raw} over the driver's cuMemAlloc/cuMemFree; an out-of-memory result is null. */
    private static final class DriverMemory implements DeviceAllocator.Raw {
        private final CudaContext ctx;

        DriverMemory(CudaContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public CUdeviceptr malloc(long bytes) {
            return ctx.driver().malloc(bytes);
        }

        @Override
        public void free(CUdeviceptr p) {
            ctx.driver().free(p);
        }

        @Override
        public long[] memoryInfo() {
            return ctx.memoryInfo();
        }
    }
}
