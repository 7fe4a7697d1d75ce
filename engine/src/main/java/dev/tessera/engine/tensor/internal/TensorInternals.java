package dev.tessera.engine.tensor.internal;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.tensor.Tensor;

/**
 * What the engine's own op families and its parameter store may do to a tensor and its users may not: make
 * a tensor over a raw buffer or a view of another's storage, record a {@link FusedBackward} rule, and re-point
 * a parameter's storage and gradient into the flat buffers of {@code optim.ParameterStore}. This package is
 * not exported, so none of it is API; the supported way to write a new op from outside the engine is
 * {@link dev.tessera.engine.tensor.Tape#record}.
 *
 * <p>The implementations need {@link Tensor}'s private state, so they live beside it and {@code Tensor} hands
 * them over when it is loaded (the JDK's "shared secrets" idiom).
 */
public final class TensorInternals {
    private TensorInternals() {}

    /** Implemented in package {@code tensor}. */
    public interface Access {
        Tensor wrap(Backend backend, Buffer buffer, int[] shape);

        Tensor view(Tensor base, Buffer window, int[] shape, int[] strides);

        Tensor recordFused(String op, Tensor output, FusedBackward backward, Tensor[] inputs);

        void rebind(Tensor t, Buffer storage);

        void setGrad(Tensor t, Tensor grad);
    }

    private static volatile Access access;

    /** Called once, by {@code Tensor}'s static initialiser. */
    public static void install(Access implementation) {
        if (access != null) throw new IllegalStateException("TensorInternals installed twice");
        access = implementation;
    }

    private static Access access() {
        Access a = access;
        if (a == null) {
            try {
                Class.forName(Tensor.class.getName(), true, Tensor.class.getClassLoader());   // runs install
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = access;
        }
        return a;
    }

    /**
     * A contiguous tensor of {@code shape} that owns {@code buffer}, which must be new memory (an op's output):
     * the tape may hand such a tensor to an input as its gradient without copying it.
     */
    public static Tensor wrap(Backend backend, Buffer buffer, int... shape) {
        return access().wrap(backend, buffer, shape);
    }

    /** A view of {@code base}'s storage: {@code window} is a slice of it read with {@code shape} and {@code strides}. */
    public static Tensor view(Tensor base, Buffer window, int[] shape, int[] strides) {
        return access().view(base, window, shape, strides);
    }

    /** {@link dev.tessera.engine.tensor.Tape#record} for a rule that returns {@link Deferred} gradients. */
    public static Tensor recordFused(String op, Tensor output, FusedBackward backward, Tensor... inputs) {
        return access().recordFused(op, output, backward, inputs);
    }

    /** Points a contiguous tensor's storage at {@code storage} (same length); the values are not copied. */
    public static void rebind(Tensor t, Buffer storage) {
        access().rebind(t, storage);
    }

    /** Makes {@code grad} (contiguous float32, t's shape) the gradient the tape adds into; null forgets it. */
    public static void setGrad(Tensor t, Tensor grad) {
        access().setGrad(t, grad);
    }
}
