package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.recordFused;
import static dev.tessera.engine.tensor.internal.TensorInternals.view;
import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tape;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.tensor.internal.Deferred;
import java.util.Arrays;

/**
 * Sum, mean and variance over axes; max and argmax along one axis. The backend reduces one axis of a
 * [outer, length, inner] view at a time; several axes are reduced one after another. The backward of a sum
 * broadcasts the gradient back (an expand view, no copy); the backward of max routes it to the argmax.
 */
public final class Reduce {
    private Reduce() {}

    public static Tensor sum(Tensor x, int[] axes, boolean keepDim) {
        Elementwise.requireFloat("sum", x);
        int rank = x.rank();
        boolean[] reduce = new boolean[rank];
        for (int a : axes) {
            int n = Shape.axis("sum", a, rank);
            if (reduce[n]) throw new ShapeException("sum: axis " + n + " listed twice");
            reduce[n] = true;
        }
        Tensor c = x.isContiguous() ? x : Movement.contiguous(x.detach());
        Buffer cur = c.buffer().slice(0, c.numel());
        int[] shape = x.shape();
        Backend be = x.backend();
        for (int d = rank - 1; d >= 0; d--) {
            if (!reduce[d]) continue;
            int outer = 1, inner = 1;
            for (int i = 0; i < d; i++) outer *= shape[i];
            for (int i = d + 1; i < rank; i++) inner *= shape[i];
            Buffer next = be.allocateUninitialized(outer * inner);
            be.reduce(ReduceOp.SUM, cur, outer, shape[d], inner, next);
            cur = next;
            shape[d] = 1;
        }
        int[] kept = shape.clone();
        int[] outShape = keepDim ? kept : dropOnes(kept, reduce);
        int[] inShape = x.shape();
        // With no axis to reduce, cur is still c's storage: the result is a view of it, not a new allocation.
        Tensor out = axes.length == 0 ? view(c, cur, outShape, Shape.contiguousStrides(outShape)) : wrap(be, cur, outShape);
        return Tape.record("sum", out, g -> new Tensor[] {g.reshape(kept).expand(inShape)}, x);
    }

    public static Tensor sumAll(Tensor x) {
        int[] all = new int[x.rank()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return sum(x, all, false);
    }

    public static Tensor mean(Tensor x, int[] axes, boolean keepDim) {
        int count = 1;
        for (int a : axes) count *= x.dim(a);
        return sum(x, axes, keepDim).mul(1f / count);
    }

    public static Tensor meanAll(Tensor x) {
        return sumAll(x).mul(1f / x.numel());
    }

    /**
     * Variance over {@code axes} (torch.var): Σ(x − mean)² / (n − 1) when {@code unbiased} (Bessel's
     * correction, the default of torch.var and what MAE's norm_pix_loss uses), else / n. Composed from
     * mean, sub, square and sum, so its gradient needs no rule of its own.
     */
    public static Tensor var(Tensor x, int[] axes, boolean unbiased, boolean keepDim) {
        Elementwise.requireFloat("var", x);
        int count = 1;
        for (int a : axes) count *= x.shape()[Shape.axis("var", a, x.rank())];
        Tensor centered = x.sub(mean(x, axes, true));
        // n = 1 with Bessel's correction divides 0 by 0: NaN, as in PyTorch.
        return sum(centered.square(), axes, keepDim).mul(1f / (unbiased ? count - 1 : count));
    }

    /**
     * Maximum along one axis. The gradient goes to the first position that attains the maximum (the
     * element {@link #argmax} reports), so ties do not split it; backward is argmax + scatterAdd.
     */
    public static Tensor max(Tensor x, int axis, boolean keepDim) {
        Elementwise.requireFloat("max", x);
        int a = Shape.axis("max", axis, x.rank());
        int[] shape = x.shape();
        int outer = Shape.numel(Arrays.copyOf(shape, a)), length = shape[a];
        int inner = Shape.numel(Arrays.copyOfRange(shape, a + 1, shape.length));
        if (length == 0) throw new ShapeException("max: axis " + a + " of " + Shape.str(shape) + " is empty");
        Tensor xc = Movement.contiguous(x);
        Backend be = x.backend();
        Buffer out = be.allocateUninitialized(outer * inner);
        be.reduce(ReduceOp.MAX, xc.buffer(), outer, length, inner, out);
        return recordFused("max", wrap(be, out, reducedShape(shape, a, keepDim)), g -> new Deferred[] {Deferred.adding(dx -> {
            // idx[o·inner + i] = argmax over k of x[o, k, i]. scatterAdd shares one index across its inner
            // axis, so scatter into a [outer·inner, length] scratch (inner = 1), then add it into dx [outer,
            // length, inner] with a strided copy that swaps the last two axes back.
            Buffer idx = be.allocateInts(outer * inner);
            be.argmax(xc.buffer(), outer, length, inner, idx);
            Buffer scratch = be.allocate(outer * inner * length);
            be.scatterAdd(g.buffer(), idx, scratch, outer * inner, length, 1, 1);
            be.copyStrided(scratch, new int[] {inner * length, 1, length}, dx,
                    new int[] {length * inner, inner, 1}, new int[] {outer, length, inner}, true);
        })}, xc);
    }

    /** Index of the first maximum along {@code axis}, as an int32 tensor without that axis. */
    public static Tensor argmax(Tensor x, int axis) {
        Elementwise.requireFloat("argmax", x);
        int a = Shape.axis("argmax", axis, x.rank());
        int[] shape = x.shape();
        int outer = Shape.numel(Arrays.copyOf(shape, a)), length = shape[a];
        int inner = Shape.numel(Arrays.copyOfRange(shape, a + 1, shape.length));
        if (length == 0) throw new ShapeException("argmax: axis " + a + " of " + Shape.str(shape) + " is empty");
        Tensor xc = Movement.contiguous(x.detach());
        Buffer idx = x.backend().allocateInts(outer * inner);
        x.backend().argmax(xc.buffer(), outer, length, inner, idx);
        return wrap(x.backend(), idx, reducedShape(shape, a, false));
    }

    /** {@code shape} with axis {@code a} set to 1 (keepDim) or removed. */
    private static int[] reducedShape(int[] shape, int a, boolean keepDim) {
        if (keepDim) {
            int[] s = shape.clone();
            s[a] = 1;
            return s;
        }
        int[] s = new int[shape.length - 1];
        for (int d = 0, j = 0; d < shape.length; d++) if (d != a) s[j++] = shape[d];
        return s;
    }

    /**
     * Sums {@code g} down to {@code shape} (the backward of broadcasting): leading axes that broadcasting
     * added are summed away, and axes where {@code shape} has 1 are summed with keepdim.
     */
    public static Tensor sumToShape(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        int count = 0;
        int[] axes = new int[gs.length];
        for (int d = 0; d < gs.length; d++) {
            boolean added = d < lead;
            if (added || (shape[d - lead] == 1 && gs[d] != 1)) axes[count++] = d;
        }
        return sum(g, Arrays.copyOf(axes, count), true).reshape(shape);
    }

    private static int[] dropOnes(int[] shape, boolean[] reduced) {
        int n = 0;
        for (boolean r : reduced) if (!r) n++;
        int[] out = new int[n];
        int j = 0;
        for (int d = 0; d < shape.length; d++) if (!reduced[d]) out[j++] = shape[d];
        return out;
    }
}
