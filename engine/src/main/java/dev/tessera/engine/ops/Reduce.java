package dev.tessera.engine.ops;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import java.util.Arrays;

/**
 * Sum and mean over axes. The backend reduces one axis of a [outer, length, inner] view at a time; several
 * axes are reduced one after another. Backward broadcasts the gradient back (an expand view, no copy).
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
            Buffer next = be.allocate(outer * inner);
            be.reduce(ReduceOp.SUM, cur, outer, shape[d], inner, next);
            cur = next;
            shape[d] = 1;
        }
        int[] kept = shape.clone();
        int[] outShape = keepDim ? kept : dropOnes(kept, reduce);
        int[] inShape = x.shape();
        return Tensor.result("sum", cur, outShape, g -> x.accumulateGrad(g.reshape(kept).expand(inShape)), x);
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
