package dev.tessera.engine.tensor;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.DebugScopes;
import dev.tessera.engine.ops.Movement;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * An N-d float32 (or int32, for indices) array living on one {@link Backend}, and a node of the autograd
 * graph. Storage is a {@link Buffer} view plus shape and strides, so reshape of a contiguous tensor,
 * permute, transpose, narrow and expand are views that copy nothing; {@link #contiguous()} materialises.
 *
 * <p>Autograd in the style of micrograd: the output of an op remembers the op's inputs and its backward rule
 * ({@link Tape#record}); {@link #backward()} on a scalar sorts that graph and runs the rules from the loss back
 * to the leaves. Each rule returns the gradients of its inputs and the tape adds them into {@link #grad()}.
 *
 * <p>The op methods ({@code add}, {@code matmul}, {@code layerNorm}, …) are inherited from {@link TensorOps}, one
 * line each, which hands each to its op family in {@code dev.tessera.engine.ops}.
 */
public final class Tensor extends TensorOps {
    /** Numbers allocations, so the tape can tell a gradient made during its pass from older memory. */
    private static final AtomicLong ALLOCATIONS = new AtomicLong();

    static {
        InternalAccess.install();
    }

    private final Backend backend;
    Buffer buffer;                      // re-pointed once, when ParameterStore packs a parameter
    private final int[] shape;
    private final int[] strides;
    private final boolean isInt;
    final long storage;                 // the allocation this tensor views (views share their base's number)
    boolean requiresGrad;
    Tensor grad;                        // dLoss/dThis, added up by the tape
    Node node;                          // how this tensor was made; null for leaves and after backward
    String op;                          // the op that made it, kept for messages

    Tensor(Backend backend, Buffer buffer, int[] shape, int[] strides, boolean isInt, long storage) {
        this.backend = backend;
        this.buffer = buffer;
        this.shape = shape;
        this.strides = strides;
        this.isInt = isInt;
        this.storage = storage;
    }

    /** A contiguous tensor that owns {@code buffer} (a new allocation). */
    static Tensor owning(Backend backend, Buffer buffer, int[] shape) {
        if (buffer.length() != Shape.numel(shape)) {
            throw new ShapeException("a buffer of " + buffer.length() + " elements for shape " + Shape.str(shape));
        }
        return new Tensor(backend, buffer, shape.clone(), Shape.contiguousStrides(shape), buffer.isInt(),
                ALLOCATIONS.incrementAndGet());
    }

    /** The allocation counter now: tensors owning later allocations have a larger {@link #storage}. */
    static long allocationsSoFar() {
        return ALLOCATIONS.get();
    }

    // ------------------------------------------------------------------ construction

    public static Tensor zeros(Backend backend, int... shape) {
        return owning(backend, backend.allocate(Shape.numel(shape)), shape);
    }

    /** A tensor of {@code value} filled on the device (one memset: no zero-fill first, no upload). */
    public static Tensor full(Backend backend, float value, int... shape) {
        if (value == 0f) return zeros(backend, shape);
        Tensor t = owning(backend, backend.allocateUninitialized(Shape.numel(shape)), shape);
        backend.fill(t.buffer, value);
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
        if (data.length != Shape.numel(shape)) {
            throw new ShapeException("Tensor.of: " + data.length + " values for shape " + Shape.str(shape));
        }
        Tensor t = owning(backend, backend.allocateUninitialized(data.length), shape);
        backend.upload(data, t.buffer);
        return t;
    }

    /**
     * A tensor over {@code buffer}, which the caller keeps (a persistent input buffer that a prefetch filled): no copy,
     * and no op writes it. Its element count must equal the shape's.
     */
    public static Tensor over(Backend backend, Buffer buffer, int... shape) {
        return owning(backend, buffer, shape);
    }

    /** An int32 tensor (indices, labels); it never requires grad. */
    public static Tensor ofInts(Backend backend, int[] data, int... shape) {
        if (data.length != Shape.numel(shape)) {
            throw new ShapeException("Tensor.ofInts: " + data.length + " values for shape " + Shape.str(shape));
        }
        Tensor t = owning(backend, backend.allocateIntsUninitialized(data.length), shape);   // the upload fills it
        backend.uploadInts(data, t.buffer);
        return t;
    }

    // ------------------------------------------------------------------ inspection

    public Backend backend() {
        return backend;
    }

    /**
     * The storage view, for code that calls the {@link Backend} directly (op implementations, benchmarks).
     * Element (i, j, …) is at {@code Σ index·stride} in it.
     */
    public Buffer buffer() {
        if (DebugScopes.ON && buffer.released()) throw UseAfterScope.error(this);
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
        return backend.download(contiguousNoGrad().buffer().slice(0, numel()));
    }

    public int[] toIntArray() {
        if (!isInt) throw new IllegalStateException("toIntArray on a float32 tensor");
        return backend.downloadInts(contiguousNoGrad().buffer().slice(0, numel()));
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (numel() != 1) throw new ShapeException("item() on a tensor of shape " + Shape.str(shape));
        return backend.download(buffer().slice(0, 1))[0];
    }

    /**
     * Overwrites this tensor's values with host data in row-major order (initialisation, loading a
     * checkpoint). Not recorded: like PyTorch's in-place init under no_grad, autograd does not see it.
     */
    public void copyFrom(float[] values) {
        if (isInt) throw new IllegalStateException("copyFrom on an int32 tensor " + this);
        if (values.length != numel()) {
            throw new ShapeException("copyFrom: " + values.length + " values for a tensor of shape " + Shape.str(shape));
        }
        if (isContiguous()) {
            backend.upload(values, buffer().slice(0, values.length));
        } else {
            copyFrom(of(backend, values, shape));
        }
    }

    /** Overwrites this tensor's values with {@code src}'s (same shape; src may be a view). Not recorded. */
    public void copyFrom(Tensor src) {
        if (!java.util.Arrays.equals(src.shape, shape) || src.isInt != isInt || isInt) {
            throw new ShapeException("copyFrom: " + src + " into " + this);
        }
        backend.copyStrided(src.buffer(), src.strides, buffer(), strides, shape, false);
    }

    @Override
    public String toString() {
        return "Tensor" + Shape.str(shape) + (isInt ? " int32" : "") + (requiresGrad ? " requiresGrad" : "")
                + (op != null ? " <" + op + ">" : "");
    }

    private Tensor contiguousNoGrad() {
        if (isContiguous()) return this;
        try (var off = GradMode.noGrad()) {
            return Movement.contiguous(this);
        }
    }

    // ------------------------------------------------------------------ autograd

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf as trainable (or not); returns this. */
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

    /**
     * Forgets this leaf's gradient (PyTorch's {@code x.grad = None}); the next backward starts a new one. A
     * packed parameter's gradient is put back on its slice of the flat store by {@code ParameterStore.reattachGrads}.
     */
    public void clearGrad() {
        grad = null;
    }

    /** Same storage, no history: gradients stop here (stop-gradient). */
    public Tensor detach() {
        Tensor t = new Tensor(backend, buffer, shape, strides, isInt, storage);
        t.op = op;
        return t;
    }

    /** Back-propagates from this scalar (d self / d self = 1). */
    public void backward() {
        backward((Consumer<Tensor>) null);
    }

    /**
     * Back-propagates from this scalar and calls {@code leafGradientReady} with each leaf (parameter) as soon as
     * no rule of this pass can add to its gradient any more: data-parallel training starts reducing that
     * gradient across devices while the rest of backward runs. On an asynchronous backend the gradient is
     * then queued, not necessarily computed.
     */
    public void backward(Consumer<Tensor> leafGradientReady) {
        if (numel() != 1) throw new ShapeException("backward() needs a scalar, got " + Shape.str(shape) + "; pass a gradient");
        if (!requiresGrad) throw new IllegalStateException("backward() on a tensor that does not require grad");
        Tape.backward(this, null, leafGradientReady);
    }

    /** Back-propagates {@code gradient} (same shape as this) through the recorded graph. */
    public void backward(Tensor gradient) {
        if (!requiresGrad) throw new IllegalStateException("backward() on a tensor that does not require grad");
        if (!java.util.Arrays.equals(gradient.shape, shape)) {
            throw new ShapeException("backward: gradient " + Shape.str(gradient.shape) + " for a tensor of shape " + Shape.str(shape));
        }
        Tape.backward(this, gradient, null);
    }
}
