package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.recordFused;
import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.tensor.internal.Deferred;
import java.util.Arrays;

/**
 * Softmax and log-softmax along one axis. The backend kernel works on rows of the last axis (max-subtracted,
 * so exp never overflows); another axis is swapped to the end, made contiguous, normalised and swapped
 * back, and autograd carries the gradient through the transposes. Backward uses only the forward output:
 * softmax dx = y·(dy − Σdy·y), log-softmax dx = dy − eʸ·Σdy (see {@code backend.cpu.SoftmaxCpu}).
 */
public final class SoftmaxOp {
    private SoftmaxOp() {}

    public static Tensor softmax(Tensor x, int axis) {
        return normalize("softmax", x, axis, false);
    }

    /** log(softmax(x)) computed as x − logsumexp(x), which stays finite where softmax underflows to 0. */
    public static Tensor logSoftmax(Tensor x, int axis) {
        return normalize("logSoftmax", x, axis, true);
    }

    private static Tensor normalize(String name, Tensor x, int axis, boolean log) {
        Elementwise.requireFloat(name, x);
        if (x.rank() < 1) throw new ShapeException(name + ": needs rank >= 1, got a scalar");
        int a = Shape.axis(name, axis, x.rank()), last = x.rank() - 1;
        if (a != last) return normalize(name, x.transpose(a, last), last, log).transpose(a, last);
        int[] shape = x.shape();
        int cols = shape[last], rows = Shape.numel(Arrays.copyOf(shape, last));
        Tensor xc = Movement.contiguous(x);
        Backend be = x.backend();
        Buffer out = be.allocateUninitialized(rows * cols);
        be.softmaxForward(xc.buffer(), out, rows, cols, log);
        return recordFused(name, wrap(be, out, shape), g -> new Deferred[] {
            Deferred.adding(dx -> be.softmaxBackward(g.buffer(), out, dx, rows, cols, log))}, xc);
    }
}
