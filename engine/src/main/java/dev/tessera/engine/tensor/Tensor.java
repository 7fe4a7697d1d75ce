package dev.tessera.engine.tensor;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.ops.AttentionOp;
import dev.tessera.engine.ops.Elementwise;
import dev.tessera.engine.ops.GatherOp;
import dev.tessera.engine.ops.LayerNormOp;
import dev.tessera.engine.ops.MatMul;
import dev.tessera.engine.ops.Movement;
import dev.tessera.engine.ops.Reduce;
import dev.tessera.engine.ops.SoftmaxOp;
import java.util.Arrays;

/**
 * An N-d float32 (or int32, for indices) array living on one {@link Backend}, and a node of the autograd
 * graph. Storage is a {@link Buffer} view plus shape and strides, so reshape of a contiguous tensor,
 * permute, transpose, narrow and expand are views that copy nothing; {@link #contiguous()} materialises.
 *
 * <p>Autograd in the style of micrograd: every op builds its output with {@link #result}, which records the
 * inputs and a backward rule when grad mode is on and some input requires grad. {@link #backward()} on a
 * scalar sorts the graph once and runs the rules in reverse ({@link Tape}). Gradients accumulate.
 *
 * <p>The op methods here are thin doors into the op families in {@code dev.tessera.engine.ops}, where each
 * forward sits next to its backward rule.
 */
public final class Tensor {
    private final Backend backend;
    private Buffer buffer;
    private final int[] shape;
    private final int[] strides;
    private final boolean isInt;
    private boolean requiresGrad;
    Tensor grad;
    Node node;

    private Tensor(Backend backend, Buffer buffer, int[] shape, int[] strides, boolean isInt) {
        this.backend = backend;
        this.buffer = buffer;
        this.shape = shape;
        this.strides = strides;
        this.isInt = isInt;
    }

    // ------------------------------------------------------------------ construction

    public static Tensor zeros(Backend backend, int... shape) {
        int[] s = shape.clone();
        return new Tensor(backend, backend.allocate(Shape.numel(s)), s, Shape.contiguousStrides(s), false);
    }

    public static Tensor full(Backend backend, float value, int... shape) {
        Tensor t = zeros(backend, shape);
        if (value != 0f) backend.fill(t.buffer, value);
        return t;
    }

    public static Tensor ones(Backend backend, int... shape) {
        return full(backend, 1f, shape);
    }

    public static Tensor scalar(Backend backend, float value) {
        return full(backend, value);
    }

    /** Copies host data into a new tensor; the data length must equal the shape's element count. */
    public static Tensor of(Backend backend, float[] data, int... shape) {
        int[] s = shape.clone();
        if (data.length != Shape.numel(s)) {
            throw new ShapeException("Tensor.of: " + data.length + " values for shape " + Shape.str(s));
        }
        Tensor t = zeros(backend, s);
        backend.upload(data, t.buffer);
        return t;
    }

    /** An int32 tensor (indices, labels); it never requires grad. */
    public static Tensor ofInts(Backend backend, int[] data, int... shape) {
        int[] s = shape.clone();
        if (data.length != Shape.numel(s)) {
            throw new ShapeException("Tensor.ofInts: " + data.length + " values for shape " + Shape.str(s));
        }
        Buffer b = backend.allocateInts(data.length);
        backend.uploadInts(data, b);
        return new Tensor(backend, b, s, Shape.contiguousStrides(s), true);
    }

    /** Wraps an existing buffer as a contiguous tensor (no copy); used by parameter stores and backends. */
    public static Tensor wrap(Backend backend, Buffer buffer, int... shape) {
        int[] s = shape.clone();
        if (buffer.length() != Shape.numel(s)) {
            throw new ShapeException("Tensor.wrap: buffer of " + buffer.length() + " for shape " + Shape.str(s));
        }
        return new Tensor(backend, buffer, s, Shape.contiguousStrides(s), buffer.isInt());
    }

    /** A strided view of {@code base}'s storage (for op implementers: permute, narrow, expand). */
    public static Tensor view(Tensor base, Buffer buffer, int[] shape, int[] strides) {
        return new Tensor(base.backend, buffer, shape.clone(), strides.clone(), base.isInt);
    }

    /**
     * The op implementer's constructor: wraps {@code out} (contiguous, {@code shape}) and, if grad mode is on
     * and any input requires grad, records {@code backward} on the tape.
     */
    public static Tensor result(String op, Buffer out, int[] shape, BackwardFn backward, Tensor... inputs) {
        Tensor t = wrap(inputs[0].backend, out, shape);
        return record(t, op, backward, inputs);
    }

    /** Records {@code backward} for an already-built output (views). */
    public static Tensor record(Tensor t, String op, BackwardFn backward, Tensor... inputs) {
        if (GradMode.isEnabled()) {
            for (Tensor in : inputs) {
                if (in.requiresGrad) {
                    t.requiresGrad = true;
                    t.node = new Node(op, inputs.clone(), backward);
                    break;
                }
            }
        }
        return t;
    }

    // ------------------------------------------------------------------ inspection

    public Backend backend() {
        return backend;
    }

    public Buffer buffer() {
        return buffer;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int[] strides() {
        return strides.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of axis {@code axis} (negative counts from the end). */
    public int dim(int axis) {
        return shape[Shape.axis("dim", axis, shape.length)];
    }

    public int numel() {
        return Shape.numel(shape);
    }

    public boolean isInt() {
        return isInt;
    }

    public boolean isContiguous() {
        int expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /** The values in row-major order (copies to the host). */
    public float[] toArray() {
        if (isInt) throw new IllegalStateException("toArray on an int32 tensor; use toIntArray");
        Tensor c = contiguousNoGrad();
        return backend.download(c.buffer.slice(0, c.numel()));
    }

    public int[] toIntArray() {
        if (!isInt) throw new IllegalStateException("toIntArray on a float32 tensor");
        Tensor c = isContiguous() ? this : Movement.contiguous(this);
        return backend.downloadInts(c.buffer.slice(0, c.numel()));
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (numel() != 1) throw new ShapeException("item() on a tensor of shape " + Shape.str(shape));
        return backend.download(buffer.slice(0, 1))[0];
    }

    @Override
    public String toString() {
        return "Tensor" + Shape.str(shape) + (isInt ? " int32" : "") + (requiresGrad ? " requiresGrad" : "")
                + (node != null ? " <" + node.op() + ">" : "");
    }

    // ------------------------------------------------------------------ autograd

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf as trainable; returns this. */
    public Tensor requiresGrad(boolean on) {
        if (on && isInt) throw new IllegalArgumentException("an int32 tensor cannot require grad");
        if (node != null && !on) throw new IllegalStateException("cannot clear requiresGrad on a non-leaf; use detach()");
        requiresGrad = on;
        return this;
    }

    /** The accumulated gradient, or null if none has flowed here yet. */
    public Tensor grad() {
        return grad;
    }

    /** Points this leaf's gradient at a preallocated tensor (the flat gradient store's view). */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape, shape)) {
            throw new ShapeException("setGrad: gradient " + Shape.str(g.shape) + " for tensor " + Shape.str(shape));
        }
        // Backward kernels write gradBuffer() as a dense row-major array, so the gradient must be one.
        if (g != null && (g.isInt || !g.isContiguous())) {
            throw new IllegalArgumentException("setGrad: the gradient must be a contiguous float32 tensor, got " + g);
        }
        grad = g;
    }

    /** Redirects this tensor's storage (parameter packing into one flat buffer); values are not copied. */
    public void rebind(Buffer newStorage) {
        if (newStorage.length() != numel() || !isContiguous()) {
            throw new IllegalArgumentException("rebind: need a contiguous tensor and a buffer of " + numel());
        }
        buffer = newStorage;
    }

    /** Same storage, no history: gradients stop here (stop-gradient). */
    public Tensor detach() {
        return new Tensor(backend, buffer, shape, strides, isInt);
    }

    /** Back-propagates from this scalar (d self / d self = 1). */
    public void backward() {
        if (numel() != 1) throw new ShapeException("backward() needs a scalar, got " + Shape.str(shape) + "; pass a gradient");
        backward(Tensor.ones(backend, shape));
    }

    /** Back-propagates {@code gradient} (same shape as this) through the recorded graph. */
    public void backward(Tensor gradient) {
        if (!requiresGrad) throw new IllegalStateException("backward() on a tensor that does not require grad");
        Tape.backward(this, gradient);
    }

    /** The gradient storage for fused backward kernels that accumulate in place; allocated as zeros once. */
    public Buffer gradBuffer() {
        if (grad == null) grad = Tensor.zeros(backend, shape);
        return grad.buffer;
    }

    /** grad += g (g may be a strided or broadcast view of this tensor's shape). */
    public void accumulateGrad(Tensor g) {
        if (!requiresGrad) return;
        if (!Arrays.equals(g.shape, shape)) {
            throw new ShapeException("gradient of shape " + Shape.str(g.shape) + " for tensor " + Shape.str(shape));
        }
        Buffer gb = gradBuffer();
        int[] cs = Shape.contiguousStrides(shape);
        backend.binary(BinaryOp.ADD, gb, cs, g.buffer, g.strides, gb, shape);
    }

    private Tensor contiguousNoGrad() {
        if (isContiguous()) return this;
        try (var off = GradMode.noGrad()) {
            return Movement.contiguous(this);
        }
    }

    // ------------------------------------------------------------------ elementwise (ops.Elementwise)

    public Tensor add(Tensor o) { return Elementwise.add(this, o); }
    public Tensor sub(Tensor o) { return Elementwise.sub(this, o); }
    public Tensor mul(Tensor o) { return Elementwise.mul(this, o); }
    public Tensor div(Tensor o) { return Elementwise.div(this, o); }
    public Tensor add(float s) { return Elementwise.addScalar(this, s); }
    public Tensor sub(float s) { return Elementwise.addScalar(this, -s); }
    public Tensor mul(float s) { return Elementwise.scale(this, s); }
    public Tensor div(float s) { return Elementwise.scale(this, 1f / s); }
    public Tensor neg() { return Elementwise.neg(this); }
    public Tensor exp() { return Elementwise.exp(this); }
    public Tensor log() { return Elementwise.log(this); }
    public Tensor sqrt() { return Elementwise.sqrt(this); }
    public Tensor pow(float p) { return Elementwise.pow(this, p); }
    public Tensor square() { return Elementwise.square(this); }
    public Tensor tanh() { return Elementwise.tanh(this); }
    public Tensor relu() { return Elementwise.relu(this); }
    /** Exact GELU, x·Φ(x) (docs/vit.md#block). */
    public Tensor gelu() { return Elementwise.gelu(this); }

    // ------------------------------------------------------------------ movement (ops.Movement)

    /** Same data, new shape; one entry may be -1. A view when contiguous, else a copy. */
    public Tensor reshape(int... newShape) { return Movement.reshape(this, newShape); }
    /** Alias of reshape, for readers coming from PyTorch. */
    public Tensor view(int... newShape) { return Movement.reshape(this, newShape); }
    public Tensor permute(int... order) { return Movement.permute(this, order); }
    public Tensor transpose(int a, int b) { return Movement.transpose(this, a, b); }
    public Tensor contiguous() { return Movement.contiguous(this); }
    /** Elements [start, start+length) along {@code axis}, as a view. */
    public Tensor narrow(int axis, int start, int length) { return Movement.narrow(this, axis, start, length); }
    /** Broadcast view to {@code shape} (stride 0 on expanded axes); backward sums. */
    public Tensor expand(int... newShape) { return Movement.expand(this, newShape); }
    public Tensor[] split(int axis, int... sizes) { return Movement.split(this, axis, sizes); }
    public static Tensor concat(int axis, Tensor... parts) { return Movement.concat(axis, parts); }

    // ------------------------------------------------------------------ reductions (ops.Reduce)

    public Tensor sum(int[] axes, boolean keepDim) { return Reduce.sum(this, axes, keepDim); }
    public Tensor sum(int axis, boolean keepDim) { return Reduce.sum(this, new int[] {axis}, keepDim); }
    /** Sum of all elements, a scalar. */
    public Tensor sum() { return Reduce.sumAll(this); }
    public Tensor mean(int[] axes, boolean keepDim) { return Reduce.mean(this, axes, keepDim); }
    public Tensor mean(int axis, boolean keepDim) { return Reduce.mean(this, new int[] {axis}, keepDim); }
    public Tensor mean() { return Reduce.meanAll(this); }
    /** torch.var over {@code axes}; {@code unbiased} divides by n−1 (Bessel), else by n. */
    public Tensor var(int[] axes, boolean unbiased, boolean keepDim) { return Reduce.var(this, axes, unbiased, keepDim); }
    /** Maximum along {@code axis}; the gradient goes to the first maximal element. */
    public Tensor max(int axis, boolean keepDim) { return Reduce.max(this, axis, keepDim); }
    /** Index of the first maximum along {@code axis}, int32, that axis removed. */
    public Tensor argmax(int axis) { return Reduce.argmax(this, axis); }

    // ------------------------------------------------------------------ normalisation (ops.LayerNormOp, ops.SoftmaxOp)

    /** Layer norm over the last axis, weight and bias [C] (either may be null: 1 and 0). */
    public Tensor layerNorm(Tensor weight, Tensor bias, float eps) { return LayerNormOp.layerNorm(this, weight, bias, eps); }
    public Tensor softmax(int axis) { return SoftmaxOp.softmax(this, axis); }
    public Tensor logSoftmax(int axis) { return SoftmaxOp.logSoftmax(this, axis); }

    // ------------------------------------------------------------------ indexing (ops.GatherOp)

    /** out[.., j, ..] = this[.., index[.., j], ..]; index int32 of shape shape[:axis] + [K]. */
    public Tensor gather(int axis, Tensor index) { return GatherOp.gather(this, axis, index); }
    /** The adjoint of gather: a tensor with {@code size} at {@code axis}, out[.., index[.., j], ..] += this[.., j, ..]. */
    public Tensor scatterAdd(int axis, Tensor index, int size) { return GatherOp.scatterAdd(this, axis, index, size); }

    // ------------------------------------------------------------------ matrix multiply (ops.MatMul)

    /** [.., m, k] · [k, n] (shared weight) or batched [B.., m, k] · [B.., k, n]. */
    public Tensor matmul(Tensor o) { return MatMul.matmul(this, o); }
    /** x·Wᵀ + b with W [out, in] (torch.nn.Linear); bias may be null. */
    public Tensor linear(Tensor weight, Tensor bias) { return MatMul.linear(this, weight, bias); }

    // ------------------------------------------------------------------ attention (ops.AttentionOp)

    /** softmax(q·kᵀ·scale)·v, fused; q [B, H, Lq, dh], k and v [B, H, Lk, dh] → [B, H, Lq, dh]. */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, float scale) { return AttentionOp.attention(q, k, v, scale); }
}
