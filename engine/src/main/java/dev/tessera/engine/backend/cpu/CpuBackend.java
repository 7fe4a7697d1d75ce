package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.backend.cpu.CpuBuffer.f;
import static dev.tessera.engine.backend.cpu.CpuBuffer.i;
import static dev.tessera.engine.backend.cpu.CpuBuffer.off;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.DebugScopes;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.MemoryStats;
import dev.tessera.engine.backend.Precision;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The pure-Java backend: the reference every other backend is tested against, and a usable trainer for the
 * small presets. Memory is Java arrays recycled through a pool keyed by exact length: a training step asks
 * for the same sizes every time, so after the first step every allocation is a pool hit and the heap stops
 * growing. Compute is delegated to one class per kernel family ({@link LayerNormCpu}, {@link AttentionCpu},
 * …), all sharing one {@link Parallel} pool sized to the machine. The hot families have a Vector API twin
 * next to their plain reference ({@link AttentionCpuFast}, {@link LayerNormCpuFast}, {@link GeluCpu},
 * {@link AdamWCpuFast}), each
 * with a parity test against it; the backend runs the twins unless scalar mode is on ({@link #FAST}).
 */
public final class CpuBackend implements Backend {
    /** Set by an AdamW step that wrote a non-finite value, cleared by {@link #adamWNonFinite()}. */
    private volatile boolean adamWNonFinite;

    /**
     * Vector API kernels (attention, layer norm, GELU) unless {@code -Dtessera.cpu.scalar=true}, the switch that
     * also puts SGEMM on its scalar oracle: then every kernel runs its plain reference ({@link AttentionCpu},
     * {@link LayerNormCpu}, {@code UnaryOp.apply}/{@code BinaryOp.apply} with the double-precision erf).
     */
    static final boolean FAST = Sgemm.vectorEnabled();

    private final Parallel par;
    private final Precision precision;
    /** The rounding copy in front of SGEMM under tf32/bf16; null in fp32. */
    private final GemmOperandRounding rounding;
    private final Map<Integer, Shelf<float[]>> floatPool = new HashMap<>();
    private final Map<Integer, Shelf<int[]>> intPool = new HashMap<>();
    private final ArrayDeque<Scope> scopes = new ArrayDeque<>();
    private long liveBuffers, liveBytes, pooledBytes, systemAllocations, scopesOpened;
    /** Steps seen: incremented when an outermost scope opens. */
    private long epoch;
    /**
     * Released arrays of sizes the current step has not asked for are kept up to a third of the heap. A
     * step's own working set is never evicted, however large: it is reused in full by the next step, and
     * holding it costs no more than the step's peak, which the heap must hold anyway.
     */
    private final long maxPooledBytes;

    /** The free arrays of one length, and the last step that asked for that length. */
    private static final class Shelf<T> {
        final ArrayDeque<T> free = new ArrayDeque<>();
        long lastUse;
    }

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    public CpuBackend(int threads) {
        this(threads, Precision.FP32);
    }

    /**
     * {@code threads} threads computing GEMMs and attention in {@code precision}: under tf32/bf16 the operands are
     * rounded exactly as the CUDA backend's tensor-core kernels round them ({@link GemmOperandRounding},
     * {@link AttentionCpuBf16}), so a bf16 run on the CPU has the GPU's numerics (not its speed).
     */
    public CpuBackend(int threads, Precision precision) {
        this(threads, Runtime.getRuntime().maxMemory() / 3, precision);
    }

    /** With an explicit cap on pooled arrays of stale sizes (tests). */
    CpuBackend(int threads, long maxPooledBytes) {
        this(threads, maxPooledBytes, Precision.FP32);
    }

    private CpuBackend(int threads, long maxPooledBytes, Precision precision) {
        this.par = new Parallel(threads);
        this.maxPooledBytes = maxPooledBytes;
        this.precision = java.util.Objects.requireNonNull(precision, "precision");
        this.rounding = precision.roundsMatmul() ? new GemmOperandRounding(precision) : null;
    }

    @Override
    public Precision precision() {
        return precision;
    }

    public int threads() {
        return par.threads();
    }

    /** The shared pool, for CPU-side work that wants the same threads (data loading excluded). */
    public Parallel parallel() {
        return par;
    }

    @Override
    public String name() {
        return "cpu(" + par.threads() + " threads)";
    }

    // ---------------------------------------------------------------- memory

    final class Scope implements StepScope {
        final List<Object> owned = new ArrayList<>();
        /** Which scope this is (1, 2, …), for the messages of {@link DebugScopes}. */
        final long generation = ++scopesOpened;
        volatile boolean closed;

        @Override
        public void close() {
            synchronized (CpuBackend.this) {
                if (closed) return;
                if (scopes.peek() != this) {
                    throw new IllegalStateException("step scopes must close innermost first");
                }
                scopes.pop();
                closed = true;
                for (Object o : owned) {
                    if (DebugScopes.ON) poison(o);
                    release(o);
                }
                owned.clear();
            }
        }
    }

    @Override
    public synchronized StepScope openScope() {
        if (scopes.isEmpty()) epoch++;
        Scope s = new Scope();
        scopes.push(s);
        return s;
    }

    @Override
    public Buffer allocate(int length) {
        return allocateFloats(length, true, "allocate");
    }

    /**
     * A pooled array as it was released (a fresh one is zeros): no fill, which a step would otherwise pay on every
     * output buffer (about a tenth of a ViT-B step). With step-scope debugging on, released arrays are NaN-poisoned,
     * so an op that reads such a buffer before writing it produces NaNs in the test suite instead of passing by luck.
     */
    @Override
    public Buffer allocateUninitialized(int length) {
        return allocateFloats(length, false, "allocateUninitialized");
    }

    private synchronized Buffer allocateFloats(int length, boolean zero, String what) {
        if (length < 0) throw new IllegalArgumentException(what + ": negative length " + length);
        Shelf<float[]> shelf = floatPool.computeIfAbsent(length, x -> new Shelf<>());
        shelf.lastUse = epoch;
        float[] a = shelf.free.poll();
        if (a == null) {
            evictStaleIfFull();
            a = new float[length];
            systemAllocations++;
        } else {
            if (zero) fill(a, 0, length, 0f);
            pooledBytes -= 4L * length;
        }
        return new CpuBuffer(a, null, 0, length, track(a, length));
    }

    @Override
    public synchronized Buffer allocateInts(int length) {
        if (length < 0) throw new IllegalArgumentException("allocateInts: negative length " + length);
        Shelf<int[]> shelf = intPool.computeIfAbsent(length, x -> new Shelf<>());
        shelf.lastUse = epoch;
        int[] a = shelf.free.poll();
        if (a == null) {
            evictStaleIfFull();
            a = new int[length];
            systemAllocations++;
        } else {
            Arrays.fill(a, 0);
            pooledBytes -= 4L * length;
        }
        return new CpuBuffer(null, a, 0, length, track(a, length));
    }

    /** Counts the allocation and hands it to the innermost scope; returns that scope when debugging scopes. */
    private Scope track(Object array, int length) {
        liveBuffers++;
        liveBytes += 4L * length;
        Scope s = scopes.peek();
        if (s != null) s.owned.add(array);
        return DebugScopes.ON ? s : null;
    }

    /** Released memory made unusable: NaN for floats, an index no gather accepts for ints. */
    private static void poison(Object array) {
        if (array instanceof float[] f) Arrays.fill(f, Float.NaN);
        else Arrays.fill((int[]) array, Integer.MIN_VALUE);
    }

    private void release(Object array) {
        int length = array instanceof float[] f ? f.length : ((int[]) array).length;
        if (array instanceof float[] f) floatPool.computeIfAbsent(length, x -> new Shelf<>()).free.push(f);
        else intPool.computeIfAbsent(length, x -> new Shelf<>()).free.push((int[]) array);
        liveBuffers--;
        liveBytes -= 4L * length;
        pooledBytes += 4L * length;
    }

    /**
     * On a pool miss while more than the cap is pooled: a new phase (evaluation after training, another batch
     * size) is asking for new sizes, so drop every pooled size this step has not asked for yet rather than
     * hold two working sets. Steady-state steps never miss, so they never evict.
     */
    private void evictStaleIfFull() {
        if (pooledBytes <= maxPooledBytes) return;
        pooledBytes -= evict(floatPool) + evict(intPool);
    }

    private <T> long evict(Map<Integer, Shelf<T>> pool) {
        long freed = 0;
        for (var it = pool.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getValue().lastUse < epoch) {
                freed += 4L * e.getKey() * e.getValue().free.size();
                it.remove();
            }
        }
        return freed;
    }

    @Override
    public synchronized MemoryStats memoryStats() {
        return new MemoryStats(liveBuffers, liveBytes, pooledBytes, systemAllocations);
    }

    @Override
    public void upload(float[] src, Buffer dst) {
        sameLength("upload", src.length, dst);
        System.arraycopy(src, 0, f(dst), off(dst), src.length);
    }

    @Override
    public float[] download(Buffer src) {
        return Arrays.copyOfRange(f(src), off(src), off(src) + src.length());
    }

    @Override
    public void uploadInts(int[] src, Buffer dst) {
        sameLength("uploadInts", src.length, dst);
        System.arraycopy(src, 0, i(dst), off(dst), src.length);
    }

    @Override
    public int[] downloadInts(Buffer src) {
        return Arrays.copyOfRange(i(src), off(src), off(src) + src.length());
    }

    @Override
    public void fill(Buffer dst, float value) {
        fill(f(dst), off(dst), dst.length(), value);
    }

    /**
     * Arrays.fill split over the threads: a step zeroes its whole gradient store (ViT-B: 0.45 GB) and every
     * zeroed pool hit, and one core's stores do not reach the memory bandwidth that two reach.
     */
    private void fill(float[] a, int from, int length, float value) {
        par.forRange(length, FILL_GRAIN, (lo, hi) -> Arrays.fill(a, from + lo, from + hi, value));
    }

    /** Floats per fill chunk (1 MiB): below it a fork costs more than the stores it shares out. */
    private static final int FILL_GRAIN = 1 << 18;

    private static void sameLength(String op, int n, Buffer b) {
        if (n != b.length()) {
            throw new IllegalArgumentException(op + ": " + n + " host elements for a buffer of " + b.length());
        }
    }

    // ---------------------------------------------------------------- primitives

    @Override
    public void copyStrided(Buffer src, int[] srcStrides, Buffer dst, int[] dstStrides, int[] shape, boolean accumulate) {
        StridedCpu.copy(par, f(src), off(src), srcStrides, f(dst), off(dst), dstStrides, shape, accumulate);
    }

    @Override
    public void unary(UnaryOp op, float param, Buffer x, Buffer out) {
        sameLength("unary " + op, x.length(), out);
        UnaryCpu.apply(par, op, param, f(x), off(x), f(out), off(out), x.length(), FAST);
    }

    @Override
    public void binary(BinaryOp op, Buffer a, int[] aStrides, Buffer b, int[] bStrides, Buffer out, int[] shape) {
        StridedCpu.binary(par, op, f(a), off(a), aStrides, f(b), off(b), bStrides, f(out), off(out), shape, FAST);
    }

    @Override
    public void reduce(ReduceOp op, Buffer x, int outer, int length, int inner, Buffer out) {
        ReduceCpu.reduce(par, op, f(x), off(x), outer, length, inner, f(out), off(out));
    }

    @Override
    public void addColumnSums(Buffer x, int rows, int cols, Buffer out) {
        if (rows < 0 || cols < 0 || x.length() != (long) rows * cols || out.length() != cols) {
            throw new IllegalArgumentException("addColumnSums: x has " + x.length() + " elements and out " + out.length()
                    + " for [" + rows + ", " + cols + "]");
        }
        // The column sums exactly as reduce(SUM) makes them, then one float add each: what reduce + binary(ADD) gave.
        float[] sums = new float[cols], o = f(out);
        ReduceCpu.reduce(par, ReduceOp.SUM, f(x), off(x), 1, rows, cols, sums, 0);
        for (int c = 0, oo = off(out); c < cols; c++) o[oo + c] += sums[c];
    }

    @Override
    public void argmax(Buffer x, int outer, int length, int inner, Buffer outIndices) {
        ReduceCpu.argmax(f(x), off(x), outer, length, inner, i(outIndices), off(outIndices));
    }

    @Override
    public void matmul(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                       Buffer a, int aBatchStride, Buffer b, int bBatchStride, float beta, Buffer c) {
        if (rounding != null) {
            rounding.gemm(par, transA, transB, batch, m, n, k, alpha, f(a), off(a), aBatchStride, f(b), off(b), bBatchStride,
                    beta, f(c), off(c));
            return;
        }
        Sgemm.gemm(par, transA, transB, batch, m, n, k, alpha, f(a), off(a), aBatchStride,
                f(b), off(b), bBatchStride, beta, f(c), off(c));
    }

    /**
     * The Linear forward x·Wᵀ + bias (then GELU for an MLP's first layer) with the bias added in the GEMM's first
     * store ({@link Sgemm#linearBias}) rather than broadcast into the output by a strided copy beforehand: same
     * bits, one pass over the [m, n] output fewer. Without a bias, or with operands rounded to tf32/bf16, the
     * composed form of {@link Backend#matmulEpilogue} runs.
     */
    @Override
    public void matmulEpilogue(Buffer x, Buffer w, Buffer bias, int m, int n, int k, boolean gelu, Buffer pre, Buffer out) {
        if (bias == null || rounding != null) {
            Backend.super.matmulEpilogue(x, w, bias, m, n, k, gelu, pre, out);
            return;
        }
        Buffer target = gelu ? pre : out;
        if (x.length() < (long) m * k || w.length() < (long) n * k || bias.length() != n || target.length() < (long) m * n) {
            throw new IllegalArgumentException("matmulEpilogue: x " + x.length() + ", w " + w.length() + ", bias "
                    + bias.length() + " and output " + target.length() + " elements for m=" + m + " n=" + n + " k=" + k);
        }
        Sgemm.linearBias(par, m, n, k, f(x), off(x), f(w), off(w), f(bias), off(bias), f(target), off(target));
        if (gelu) unary(UnaryOp.GELU, 0f, pre, out);
    }

    @Override
    public void scaledResidual(Buffer x, Buffer a, Buffer gamma, Buffer keep, int samples, int rows, int cols, Buffer out) {
        checkResidual("scaledResidual", samples, rows, cols, gamma, keep, x, a, out);
        ScaledResidualCpu.forward(par, f(x), off(x), f(a), off(a), gamma == null ? null : f(gamma),
                gamma == null ? 0 : off(gamma), keep == null ? null : f(keep), keep == null ? 0 : off(keep),
                samples, rows, cols, f(out), off(out), FAST);
    }

    @Override
    public void scaledResidualBackward(Buffer g, Buffer a, Buffer gamma, Buffer keep, int samples, int rows, int cols,
                                       Buffer da, boolean accumulate, Buffer dgamma) {
        checkResidual("scaledResidualBackward", samples, rows, cols, gamma, keep, g, a, da);
        if (dgamma != null && dgamma.length() != cols) {
            throw new IllegalArgumentException("scaledResidualBackward: dgamma has " + dgamma.length() + " elements for "
                    + cols + " columns");
        }
        ScaledResidualCpu.backward(par, f(g), off(g), f(a), off(a), gamma == null ? null : f(gamma),
                gamma == null ? 0 : off(gamma), keep == null ? null : f(keep), keep == null ? 0 : off(keep), samples, rows, cols,
                da == null ? null : f(da), da == null ? 0 : off(da), accumulate, dgamma == null ? null : f(dgamma),
                dgamma == null ? 0 : off(dgamma), FAST);
    }

    private static void checkResidual(String op, int samples, int rows, int cols, Buffer gamma, Buffer keep, Buffer... full) {
        long n = (long) samples * rows * cols;
        for (Buffer b : full) {
            if (b != null && b.length() != n) {
                throw new IllegalArgumentException(op + ": a buffer of " + b.length() + " elements for [" + samples + ", "
                        + rows + ", " + cols + "]");
            }
        }
        if (gamma != null && gamma.length() != cols) {
            throw new IllegalArgumentException(op + ": gamma has " + gamma.length() + " elements for " + cols + " columns");
        }
        if (keep != null && keep.length() != samples) {
            throw new IllegalArgumentException(op + ": keep has " + keep.length() + " elements for " + samples + " samples");
        }
    }

    @Override
    public void layerNormForward(Buffer x, Buffer w, Buffer b, Buffer out, Buffer mean, Buffer rstd,
                                 int rows, int cols, float eps) {
        if (FAST) LayerNormCpuFast.forward(par, f(x), off(x), f(w), off(w), f(b), off(b), f(out), off(out),
                f(mean), off(mean), f(rstd), off(rstd), rows, cols, eps);
        else LayerNormCpu.forward(par, f(x), off(x), f(w), off(w), f(b), off(b), f(out), off(out),
                f(mean), off(mean), f(rstd), off(rstd), rows, cols, eps);
    }

    @Override
    public void layerNormBackward(Buffer dout, Buffer x, Buffer w, Buffer mean, Buffer rstd,
                                  Buffer dx, Buffer dw, Buffer db, int rows, int cols) {
        float[] dxa = dx == null ? null : f(dx), dwa = dw == null ? null : f(dw), dba = db == null ? null : f(db);
        int dxo = dx == null ? 0 : off(dx), dwo = dw == null ? 0 : off(dw), dbo = db == null ? 0 : off(db);
        if (FAST) LayerNormCpuFast.backward(par, f(dout), off(dout), f(x), off(x), f(w), off(w), f(mean), off(mean),
                f(rstd), off(rstd), dxa, dxo, dwa, dwo, dba, dbo, rows, cols);
        else LayerNormCpu.backward(par, f(dout), off(dout), f(x), off(x), f(w), off(w), f(mean), off(mean),
                f(rstd), off(rstd), dxa, dxo, dwa, dwo, dba, dbo, rows, cols);
    }

    @Override
    public void softmaxForward(Buffer x, Buffer out, int rows, int cols, boolean log) {
        SoftmaxCpu.forward(par, f(x), off(x), f(out), off(out), rows, cols, log);
    }

    @Override
    public void softmaxBackward(Buffer dout, Buffer out, Buffer dx, int rows, int cols, boolean log) {
        SoftmaxCpu.backward(par, f(dout), off(dout), f(out), off(out), f(dx), off(dx), rows, cols, log);
    }

    @Override
    public void attentionForward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, float scale) {
        layout.checkForward(q, k, v, out, lse);
        int lq = layout.lq(), lk = layout.lk(), d = layout.headDim();
        Supplier<AttentionCpuHeads.ForwardHead> kernel = precision.roundsAttention()
                ? () -> AttentionCpuBf16.forwardHead(lq, lk, d, scale)
                : FAST ? () -> AttentionCpuFast.forwardHead(lq, lk, d, scale) : () -> AttentionCpu.forwardHead(lq, lk, d, scale);
        AttentionCpuHeads.forward(par, layout, f(q), off(q), f(k), off(k), f(v), off(v), f(out), off(out), f(lse), off(lse),
                kernel);
    }

    @Override
    public void attentionBackward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout,
                                  Buffer dq, Buffer dk, Buffer dv, float scale, GradMode mode) {
        layout.checkForward(q, k, v, out, lse);
        layout.check("dout", dout, layout.out(), layout.lq());
        layout.check("dq", dq, layout.q(), layout.lq());
        layout.check("dk", dk, layout.k(), layout.lk());
        layout.check("dv", dv, layout.v(), layout.lk());
        float[] dqa = dq == null ? null : f(dq), dka = dk == null ? null : f(dk), dva = dv == null ? null : f(dv);
        int dqo = dq == null ? 0 : off(dq), dko = dk == null ? 0 : off(dk), dvo = dv == null ? 0 : off(dv);
        int lq = layout.lq(), lk = layout.lk(), d = layout.headDim();
        Supplier<AttentionCpuHeads.BackwardHead> kernel = precision.roundsAttention()
                ? () -> AttentionCpuBf16.backwardHead(lq, lk, d, scale)
                : FAST ? () -> AttentionCpuFast.backwardHead(lq, lk, d, scale) : () -> AttentionCpu.backwardHead(lq, lk, d, scale);
        AttentionCpuHeads.backward(par, layout, f(q), off(q), f(k), off(k), f(v), off(v), f(out), off(out), f(lse), off(lse),
                f(dout), off(dout), dqa, dqo, dka, dko, dva, dvo, mode, kernel);
    }

    @Override
    public void gather(Buffer src, Buffer index, Buffer out, int outer, int srcLength, int indexLength, int inner) {
        GatherCpu.gather(par, f(src), off(src), i(index), off(index), f(out), off(out),
                outer, srcLength, indexLength, inner);
    }

    @Override
    public void scatterAdd(Buffer src, Buffer index, Buffer dst, int outer, int dstLength, int indexLength, int inner) {
        GatherCpu.scatterAdd(par, f(src), off(src), i(index), off(index), f(dst), off(dst),
                outer, dstLength, indexLength, inner);
    }

    @Override
    public void argsortMask(Buffer noise, int rows, int length, int keep, Buffer idsShuffle, Buffer idsRestore,
                            Buffer idsKeep, Buffer mask) {
        MaskingCpu.checkSizes(rows, length, keep, noise, idsShuffle, idsRestore, idsKeep, mask);
        MaskingCpu.argsortMask(par, f(noise), off(noise), rows, length, keep, i(idsShuffle), off(idsShuffle),
                i(idsRestore), off(idsRestore), i(idsKeep), off(idsKeep), f(mask), off(mask));
    }

    @Override
    public void adamW(Buffer param, Buffer grad, Buffer m, Buffer v, AdamWStep step) {
        int n = param.length();
        for (Buffer b : new Buffer[] {grad, m, v}) sameLength("adamW", n, b);
        adamWSlice(param, grad, m, v, 0, n, step);
    }

    /** AdamW over elements [from, from + n) of the four buffers, noting a NaN or infinity it writes. */
    private void adamWSlice(Buffer param, Buffer grad, Buffer m, Buffer v, int from, int n, AdamWStep step) {
        adamWSlice(param, grad, m, v, from, n, AdamWCpu.Coefficients.of(step));
    }

    private void adamWSlice(Buffer param, Buffer grad, Buffer m, Buffer v, int from, int n, AdamWCpu.Coefficients step) {
        boolean wroteNonFinite = FAST
                ? AdamWCpuFast.step(par, f(param), off(param) + from, f(grad), off(grad) + from, f(m), off(m) + from, f(v), off(v) + from, n, step)
                : AdamWCpu.step(par, f(param), off(param) + from, f(grad), off(grad) + from, f(m), off(m) + from, f(v), off(v) + from, n, step);
        if (wroteNonFinite) adamWNonFinite = true;
    }

    @Override
    public boolean adamWNonFinite() {
        boolean was = adamWNonFinite;
        adamWNonFinite = false;
        return was;
    }

    @Override
    public void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, AdamWStep step) {
        int n = param.length();
        for (Buffer b : new Buffer[] {grad, m, v}) sameLength("adamWRanges", n, b);
        int[] r = AdamWCpu.checkRanges(i(ranges), off(ranges), ranges.length(), count, n);
        for (int k = 0; k < count; k++) {
            int from = r[k], len = r[count + k + 1] - r[count + k];
            adamWSlice(param, grad, m, v, from, len, step);
        }
    }

    @Override
    public void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, Buffer scalars) {
        if (scalars.length() != AdamWStep.SCALARS) {
            throw new IllegalArgumentException("adamWRanges: the scalars buffer has " + scalars.length() + " floats, need "
                    + AdamWStep.SCALARS);
        }
        int n = param.length();
        for (Buffer b : new Buffer[] {grad, m, v}) sameLength("adamWRanges", n, b);
        int[] r = AdamWCpu.checkRanges(i(ranges), off(ranges), ranges.length(), count, n);
        AdamWCpu.Coefficients k = AdamWCpu.Coefficients.of(f(scalars), off(scalars));
        for (int c = 0; c < count; c++) {
            int from = r[c], len = r[count + c + 1] - r[count + c];
            adamWSlice(param, grad, m, v, from, len, k);
        }
    }

    @Override
    public void clipGlobalNorm(Buffer grads, float maxNorm, Buffer norm) {
        sameLength("clipGlobalNorm norm", 1, norm);
        GradClipCpu.clip(par, f(grads), off(grads), grads.length(), maxNorm, f(norm), off(norm));
    }

    @Override
    public void synchronize() {}

    @Override
    public void close() {
        par.close();
    }
}
