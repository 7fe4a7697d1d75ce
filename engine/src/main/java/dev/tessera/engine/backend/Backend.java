package dev.tessera.engine.backend;

/**
 * The primitives every device must provide: memory, a strided copy, elementwise maps, one-axis reductions,
 * (batched) matrix multiply, and a short explicit list of fused ops that training a ViT needs to be fast —
 * layer norm, softmax, attention, token gather/scatter and AdamW. Everything else in the engine (broadcast
 * backward, losses, variance, dropout …) is composed from these, so a new backend implements exactly this
 * interface and nothing else. There is no "unsupported" escape hatch.
 *
 * <p>Conventions, shared by the CPU reference ({@code backend.cpu}) and the CUDA kernels:
 * <ul>
 *   <li>float32, row-major. A {@link Buffer} is a view; sizes are element counts (int: one buffer holds at
 *       most 2³¹−1 elements).</li>
 *   <li>Forward primitives <b>overwrite</b> their outputs. Backward primitives <b>accumulate</b> ({@code +=})
 *       into gradient buffers, because a tensor may feed several consumers (the residual stream) and
 *       parameter gradients accumulate over micro-batches (attention backward may instead be told to
 *       overwrite: {@link GradMode}). A {@code null} gradient buffer means "not needed" and is skipped.</li>
 *   <li>Calls are ordered: a backend may run them asynchronously (CUDA streams) but must behave as if each
 *       finished before the next began. {@link #download} waits for all earlier work.</li>
 * </ul>
 */
public interface Backend extends AutoCloseable {

    /** Short name for logs and errors, e.g. {@code cpu(2 threads)} or {@code cuda:0 (NVIDIA H100)}. */
    String name();

    /**
     * The arithmetic of {@link #matmul} and the attention ops: fp32, or their operands rounded to tf32 / bf16 with
     * fp32 sums ({@link Precision}, autocast semantics). Everything else is fp32 whatever this says.
     */
    default Precision precision() {
        return Precision.FP32;
    }

    // ---------------------------------------------------------------- memory

    /** A zero-filled float32 buffer owned by the innermost open {@link StepScope}, or persistent if none. */
    Buffer allocate(int length);

    /**
     * A float32 buffer whose contents are undefined, for outputs an op overwrites completely (a GEMM with
     * beta = 0, a forward kernel's result): it saves the zero-fill that {@link #allocate} pays. Same ownership
     * rule. A backend may return zeros; callers must never read an element before writing it.
     */
    default Buffer allocateUninitialized(int length) {
        return allocate(length);
    }

    /** A zero-filled int32 buffer, same ownership rule. */
    Buffer allocateInts(int length);

    /** An int32 buffer with undefined contents, for index outputs an op overwrites completely (as {@link #allocateUninitialized}). */
    default Buffer allocateIntsUninitialized(int length) {
        return allocateInts(length);
    }

    /** Opens a scope; buffers allocated until it closes are released at close. */
    StepScope openScope();

    MemoryStats memoryStats();

    /** Copies host floats into {@code dst}; {@code src.length == dst.length()}. */
    void upload(float[] src, Buffer dst);

    /** Copies a float buffer to the host (waits for pending work). */
    float[] download(Buffer src);

    /**
     * Starts copying {@code src} into {@code dst} so that it can overlap the work already queued (on a GPU: a copy
     * stream beside the compute stream, from a pinned block); {@link Prefetch#await} orders it before later ops.
     * {@code dst} must be persistent (allocated outside any scope). The copy waits for every op queued before this
     * call, so it never overwrites data they still read: the trainer double-buffers its inputs and prefetches the
     * next batch before queuing the current step. The default is the plain {@link #upload} (the CPU's), which is
     * finished when it returns.
     */
    default Prefetch prefetch(float[] src, Buffer dst) {
        upload(src, dst);
        return Prefetch.DONE;
    }

    /**
     * Records what {@code body} queues as one replayable step (a CUDA graph) instead of running it, or returns
     * empty without running {@code body} where the backend cannot (the CPU's default: the caller runs the step
     * eagerly). Inside {@code body} no data may cross to or from the host (uploads, downloads, synchronize are
     * refused) and every buffer it allocates must come from the cache, so run eager steps of the same shapes first.
     * Throws {@link StepCaptureException} when the recording fails; then nothing ran and nothing is held.
     */
    default java.util.Optional<CapturedStep> captureStep(Runnable body) {
        return java.util.Optional.empty();
    }

    /**
     * {@link #captureStep(Runnable)} whose temporaries share the memory of {@code sharesMemoryWith}, a live step this
     * backend captured: for graphs that only ever run one after the other (the trainer's compute graph per input
     * buffer set), so two of them cost the activation memory of one. The memory goes back when both are closed.
     */
    default java.util.Optional<CapturedStep> captureStep(Runnable body, CapturedStep sharesMemoryWith) {
        return captureStep(body);
    }

    void uploadInts(int[] src, Buffer dst);

    int[] downloadInts(Buffer src);

    void fill(Buffer dst, float value);

    /**
     * The one data-movement primitive: for every multi-index i of {@code shape},
     * {@code dst[Σ i·dstStrides] (+)= src[Σ i·srcStrides]}. Strides are in elements and may be 0 (broadcast).
     * It implements contiguous(), permute/transpose copies, patchify, concat/narrow and their backward rules.
     * With {@code accumulate} the destination is added to; destinations must not overlap themselves then.
     */
    void copyStrided(Buffer src, int[] srcStrides, Buffer dst, int[] dstStrides, int[] shape, boolean accumulate);

    // ---------------------------------------------------------------- elementwise

    /** {@code out[i] = op(x[i], param)}; equal lengths; out may be x. */
    void unary(UnaryOp op, float param, Buffer x, Buffer out);

    /**
     * {@code out[i] = op(a[i·aStrides], b[i·bStrides])} over {@code shape}; {@code out} is contiguous in that
     * shape and may alias {@code a} (used for in-place gradient accumulation).
     */
    void binary(BinaryOp op, Buffer a, int[] aStrides, Buffer b, int[] bStrides, Buffer out, int[] shape);

    // ---------------------------------------------------------------- reductions

    /** {@code out[o·inner + i] = reduce over k of x[(o·length + k)·inner + i]}. */
    void reduce(ReduceOp op, Buffer x, int outer, int length, int inner, Buffer out);

    /**
     * {@code out[c] += Σ over r of x[r·cols + c]} for x [rows, cols]: a bias gradient added into its destination in
     * one op (a reduction that overwrites would need a temporary and a second pass to add). Accumulates, as
     * backward primitives do; each column sum is rounded to float once, then added.
     */
    void addColumnSums(Buffer x, int rows, int cols, Buffer out);

    /** Index of the first maximum along the middle axis, written to an int buffer of outer·inner. */
    void argmax(Buffer x, int outer, int length, int inner, Buffer outIndices);

    // ---------------------------------------------------------------- matrix multiply

    /**
     * Batched row-major GEMM: for each b in [0, batch),
     * {@code C_b = alpha · op(A_b) · op(B_b) + beta · C_b} with op(A_b) of shape [m, k], op(B_b) [k, n],
     * C_b [m, n] contiguous. A_b starts at {@code b·aBatchStride} (stored [m,k], or [k,m] when transA);
     * B_b at {@code b·bBatchStride} (stored [k,n], or [n,k] when transB). A batch stride of 0 reuses the
     * same matrix for every batch (a weight shared by all samples). C batches are contiguous (stride m·n).
     */
    void matmul(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                Buffer a, int aBatchStride, Buffer b, int bBatchStride, float beta, Buffer c);

    /**
     * A Linear's forward with its epilogue fused into the product (torch.nn.functional.linear, then GELU for an MLP's
     * first layer): {@code pre = x·Wᵀ + bias} with x [m, k], W [n, k], bias [n] broadcast over the rows (or null);
     * {@code out = gelu ? GELU(pre) : pre} [m, n]. With gelu the pre-activation is written to {@code pre} as well
     * (GELU's backward needs it); without, {@code pre} may be null. Overwrites.
     *
     * <p>This default is the reference, composed of the primitives (the bias broadcast, a GEMM adding onto it, the
     * GELU map); a device backend fuses it into the GEMM's epilogue (one launch instead of two or three).
     */
    default void matmulEpilogue(Buffer x, Buffer w, Buffer bias, int m, int n, int k, boolean gelu, Buffer pre, Buffer out) {
        Buffer target = gelu ? pre : out;
        if (bias != null) copyStrided(bias, new int[] {0, 1}, target, new int[] {n, 1}, new int[] {m, n}, false);
        matmul(false, true, 1, m, n, k, 1f, x, 0, w, 0, bias != null ? 1f : 0f, target);
        if (gelu) unary(UnaryOp.GELU, 0f, pre, out);
    }

    /**
     * A Linear's weight and bias gradients together (torch.nn.functional.linear's backward for W and b): with the
     * output gradient g [rows, n] and the input x [rows, k], {@code dw [n, k] = gᵀ·x} and {@code db [n] = Σ_rows g},
     * each written, or added into its destination when its {@code accumulate} flag is set (the tape decides per
     * gradient). The bias gradient is a column sum of the very matrix the weight-gradient GEMM reads transposed,
     * so a device backend can take it from the GEMM's A tiles (one launch instead of two).
     *
     * <p>This default is the reference: the GEMM, then {@link #addColumnSums} (accumulate) or {@link #reduce}'s SUM.
     */
    default void matmulWeightGrad(Buffer g, Buffer x, int rows, int n, int k, Buffer dw, boolean accumulateW, Buffer db,
                                  boolean accumulateB) {
        matmul(true, false, 1, n, k, rows, 1f, g, 0, x, 0, accumulateW ? 1f : 0f, dw);
        if (accumulateB) addColumnSums(g, rows, n, db);
        else reduce(ReduceOp.SUM, g, 1, rows, n, db);
    }

    // ---------------------------------------------------------------- residual branch

    /**
     * A transformer block's residual add with LayerScale and drop path (BEiT/CAE {@code x + drop_path(gamma * a)}):
     * {@code out[s, r, c] = x[s, r, c] + (a[s, r, c]·gamma[c])·keep[s]} over [samples, rows, cols], contiguous.
     * {@code gamma} [cols] or {@code keep} [samples] (0 or 1/(1−p) per sample) may be null, meaning 1 (not both).
     * Each product and the sum is rounded to float in this order, the arithmetic of the three separate ops.
     *
     * <p>This default is the reference, composed of the primitives; the CPU backend makes it one pass.
     */
    default void scaledResidual(Buffer x, Buffer a, Buffer gamma, Buffer keep, int samples, int rows, int cols, Buffer out) {
        int n = samples * rows * cols;
        int[] shape = {samples, rows, cols}, dense = {rows * cols, cols, 1};
        Buffer t = a;
        if (gamma != null) {
            t = allocateUninitialized(n);
            binary(BinaryOp.MUL, a, dense, gamma, new int[] {0, 0, 1}, t, shape);
        }
        if (keep != null) {
            Buffer u = allocateUninitialized(n);
            binary(BinaryOp.MUL, t, dense, keep, new int[] {1, 0, 0}, u, shape);
            t = u;
        }
        binary(BinaryOp.ADD, x, dense, t, dense, out, shape);
    }

    /**
     * Backward of {@link #scaledResidual} for the branch (x's gradient is g itself): with gt = g·keep,
     * {@code da = gt·gamma} (added into da when {@code accumulate}; da may be null) and, when gamma is not null,
     * {@code dgamma[c]} = Σ_s Σ_r gt·a, written: the sum over rows rounded to float per sample, then over samples
     * rounded again, as broadcasting's backward sums one axis at a time.
     */
    default void scaledResidualBackward(Buffer g, Buffer a, Buffer gamma, Buffer keep, int samples, int rows, int cols,
                                        Buffer da, boolean accumulate, Buffer dgamma) {
        int n = samples * rows * cols;
        int[] shape = {samples, rows, cols}, dense = {rows * cols, cols, 1};
        Buffer gt = g;
        if (keep != null) {
            gt = allocateUninitialized(n);
            binary(BinaryOp.MUL, g, dense, keep, new int[] {1, 0, 0}, gt, shape);
        }
        if (da != null) {
            Buffer v = gt;
            if (gamma != null) {
                v = accumulate ? allocateUninitialized(n) : da;
                binary(BinaryOp.MUL, gt, dense, gamma, new int[] {0, 0, 1}, v, shape);
            }
            if (accumulate) binary(BinaryOp.ADD, da, dense, v, dense, da, shape);
            else if (v != da) copyStrided(v, dense, da, dense, shape, false);
        }
        if (gamma != null && dgamma != null) {
            Buffer prod = allocateUninitialized(n), perSample = allocateUninitialized(samples * cols);
            binary(BinaryOp.MUL, gt, dense, a, dense, prod, shape);
            reduce(ReduceOp.SUM, prod, samples, rows, cols, perSample);
            reduce(ReduceOp.SUM, perSample, 1, samples, cols, dgamma);
        }
    }

    // ---------------------------------------------------------------- fused ops (each has a *Cpu reference)

    /**
     * Layer norm over the last axis: {@code out = (x − μ)·rstd·weight + bias}, rstd = 1/√(σ² + eps) with the
     * biased variance (as torch.nn.LayerNorm). Saves {@code mean} and {@code rstd} [rows] for backward.
     */
    void layerNormForward(Buffer x, Buffer weight, Buffer bias, Buffer out, Buffer mean, Buffer rstd,
                          int rows, int cols, float eps);

    /** Accumulates dx [rows, cols], dweight [cols], dbias [cols] (any may be null). */
    void layerNormBackward(Buffer dout, Buffer x, Buffer weight, Buffer mean, Buffer rstd,
                           Buffer dx, Buffer dweight, Buffer dbias, int rows, int cols);

    /** Row-wise softmax (or log-softmax when {@code log}) of [rows, cols], max-subtracted for stability. */
    void softmaxForward(Buffer x, Buffer out, int rows, int cols, boolean log);

    /** Accumulates dx given the forward output {@code out}. */
    void softmaxBackward(Buffer dout, Buffer out, Buffer dx, int rows, int cols, boolean log);

    /**
     * Scaled dot-product attention, one fused op: for each of the {@code layout.batchHeads()} independent heads,
     * {@code out = softmax(q·kᵀ·scale)·v} with q [lq, d], k and v [lk, d], out [lq, d], each head's rows found
     * through {@code layout} (a dense [B·H, L, d] block, or straight inside a qkv GEMM output: no head split or
     * merge copy). lq may differ from lk (cross-attention). Saves the log-sum-exp of each score row in
     * {@code lse} [batchHeads, lq] (contiguous) so backward can rebuild the probabilities without storing them
     * (the FlashAttention recipe). q, k and v may be the same buffer at different offsets.
     */
    void attentionForward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, float scale);

    /**
     * dq, dk, dv (any may be null) laid out as q, k, v; dout as out. {@link GradMode#ACCUMULATE} adds into them
     * (the convention above); {@link GradMode#OVERWRITE} writes every element the layout names and reads none,
     * for fresh uninitialised memory — dq, dk, dv may then be one buffer at disjoint offsets (the gradient of a
     * packed qkv, which they cover together).
     */
    void attentionBackward(AttentionLayout layout, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout,
                           Buffer dq, Buffer dk, Buffer dv, float scale, GradMode mode);

    /**
     * Row gather along the middle axis: {@code out[o, j, :] = src[o, index[o, j], :]} with src
     * [outer, srcLength, inner], int index [outer, indexLength], out [outer, indexLength, inner].
     * MAE's keep/un-shuffle and CAE's visible/masked split are this op.
     */
    void gather(Buffer src, Buffer index, Buffer out, int outer, int srcLength, int indexLength, int inner);

    /** The adjoint of gather: {@code dst[o, index[o, j], :] += src[o, j, :]}. */
    void scatterAdd(Buffer src, Buffer index, Buffer dst, int outer, int dstLength, int indexLength, int inner);

    /**
     * {@link #adamW} over {@code count} ranges of the same flat buffers with one set of hyper-parameters — a whole
     * parameter group in one call (one kernel launch on a GPU, as torch's multi-tensor apply). {@code ranges} is
     * an int buffer of 2·count + 1 elements: the ranges' start offsets, then the running total of their lengths
     * starting at 0 (so range r covers {@code [offset[r], offset[r] + total[r+1] − total[r])}). The ranges must not
     * overlap; every element is updated exactly as {@link #adamW} would.
     */
    void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, AdamWStep step);

    /**
     * {@link #adamWRanges} with the step's constants read from {@code scalars}, a device buffer of
     * {@link AdamWStep#SCALARS} floats that {@link #adamWScalars} wrote. The split lets a captured step
     * ({@link #captureStep}) follow the lr schedule: the launch is captured once, and the host rewrites the 32 bytes
     * before every replay. Same result as the {@link AdamWStep} form, bit for bit.
     */
    void adamWRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, Buffer scalars);

    /** Writes {@code step}'s constants ({@link AdamWStep#scalars}) into {@code scalars}: one small upload, no wait. */
    default void adamWScalars(AdamWStep step, Buffer scalars) {
        upload(step.scalars(), scalars);
    }

    /**
     * MAE's per-sample random masking from its noise (He et al. 2021, models_mae.py {@code random_masking}), one
     * fused op so the masks never travel through the host. For each row s of {@code noise} [rows, length]:
     * <pre>
     *   idsShuffle[s, :]        = argsort(noise[s, :])   ascending and stable, in {@link Float#compare} order
     *   idsRestore[s, idsShuffle[s, t]] = t             the inverse permutation
     *   idsKeep[s, t]           = idsShuffle[s, t]       for t &lt; keep
     *   mask[s, idsShuffle[s, t]] = t &lt; keep ? 0 : 1   float, in patch order
     * </pre>
     * idsShuffle, idsRestore [rows, length] and idsKeep [rows, keep] are int buffers; every output is overwritten.
     */
    void argsortMask(Buffer noise, int rows, int length, int keep, Buffer idsShuffle, Buffer idsRestore, Buffer idsKeep,
                     Buffer mask);

    /** One fused AdamW step over equal-length flat buffers (param, grad, first and second moments). */
    void adamW(Buffer param, Buffer grad, Buffer m, Buffer v, AdamWStep step);

    /**
     * Whether an {@link #adamW} or {@link #adamWRanges} call since the last query wrote a NaN or infinity into a moment or a parameter;
     * the query clears the record. The fused update notes it as it goes (a diverging run overflows v long before
     * the loss turns NaN), so asking costs one word; on a device, ask right after a value has been read back
     * anyway (the loss), so the read does not stall the queue.
     */
    boolean adamWNonFinite();

    /**
     * Global gradient-norm clipping in place (torch.nn.utils.clip_grad_norm_ over one flat buffer): writes
     * total = ‖grads‖₂ to {@code norm[0]}; if total is finite and coef = maxNorm/(total + 1e-6) &lt; 1, every element
     * is multiplied by coef. A non-finite total leaves the gradients alone. Nothing is read back to the host, so
     * a device backend clips without waiting.
     */
    void clipGlobalNorm(Buffer grads, float maxNorm, Buffer norm);

    /** Waits until all queued work is done (no-op on the CPU); benchmarks call it inside the timed region. */
    void synchronize();

    /** Releases threads and memory. */
    @Override
    void close();
}
