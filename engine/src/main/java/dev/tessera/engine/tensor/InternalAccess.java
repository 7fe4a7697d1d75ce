package dev.tessera.engine.tensor;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.tensor.internal.FusedBackward;
import dev.tessera.engine.tensor.internal.TensorInternals;
import java.util.Arrays;

/** The implementation of {@link TensorInternals}: the op implementer's hooks, which need Tensor's private state. */
final class InternalAccess implements TensorInternals.Access {
    private InternalAccess() {}

    static void install() {
        TensorInternals.install(new InternalAccess());
    }

    @Override
    public Tensor wrap(Backend backend, Buffer buffer, int[] shape) {
        return Tensor.owning(backend, buffer, shape);
    }

    @Override
    public Tensor view(Tensor base, Buffer window, int[] shape, int[] strides) {
        return new Tensor(base.backend(), window, shape.clone(), strides.clone(), base.isInt(), base.storage);
    }

    @Override
    public Tensor recordFused(String op, Tensor output, FusedBackward backward, Tensor[] inputs) {
        return Tape.recordFused(op, output, backward, inputs);
    }

    @Override
    public void rebind(Tensor t, Buffer storage) {
        if (storage.length() != t.numel() || !t.isContiguous()) {
            throw new IllegalArgumentException("rebind: need a contiguous tensor and a buffer of " + t.numel() + ", got "
                    + t + " and " + storage.length());
        }
        t.buffer = storage;
    }

    @Override
    public void setGrad(Tensor t, Tensor g) {
        if (g != null && !Arrays.equals(g.shape(), t.shape())) {
            throw new ShapeException("setGrad: gradient " + Shape.str(g.shape()) + " for tensor " + Shape.str(t.shape()));
        }
        // Deferred gradients are written as dense row-major arrays, so a gradient must be one.
        if (g != null && (g.isInt() || !g.isContiguous())) {
            throw new IllegalArgumentException("setGrad: the gradient must be a contiguous float32 tensor, got " + g);
        }
        t.grad = g;
    }
}
