package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.recordFused;
import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tape;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.tensor.internal.Deferred;
import java.util.Arrays;

/**
 * Index selection along one axis and its adjoint, on the backend's row gather/scatter. This is
 * torch.gather(x, axis, index.expand(...)) where the index is shared by every position after the axis —
 * MAE's {@code x_masked = gather(x, 1, ids_keep)} and its un-shuffle with ids_restore (docs/mae.md#masking).
 * <pre>
 *   gather:     out[p.., j, s..] = x[p.., index[p.., j], s..]     x [P.., n, S..], index [P.., K] → [P.., K, S..]
 *   scatterAdd: out[p.., index[p.., j], s..] += x[p.., j, s..]    x [P.., K, S..], index [P.., K] → [P.., size, S..]
 * </pre>
 * Each is the other's backward. Indices may repeat; scatterAdd then sums.
 */
public final class GatherOp {
    private GatherOp() {}

    public static Tensor gather(Tensor x, int axis, Tensor index) {
        Elementwise.requireFloat("gather", x);
        int a = Shape.axis("gather", axis, x.rank());
        int[] shape = x.shape();
        Geometry geo = geometry("gather", shape, a, index);
        int[] outShape = shape.clone();
        outShape[a] = geo.k;
        Tensor xc = Movement.contiguous(x), ic = Movement.contiguous(index);
        Backend be = x.backend();
        Buffer out = be.allocateUninitialized(Shape.numel(outShape));
        be.gather(xc.buffer(), ic.buffer(), out, geo.outer, shape[a], geo.k, geo.inner);
        return recordFused("gather", wrap(be, out, outShape), g -> new Deferred[] {Deferred.adding(
                dx -> be.scatterAdd(g.buffer(), ic.buffer(), dx, geo.outer, shape[a], geo.k, geo.inner))}, xc);
    }

    public static Tensor scatterAdd(Tensor x, int axis, Tensor index, int size) {
        Elementwise.requireFloat("scatterAdd", x);
        int a = Shape.axis("scatterAdd", axis, x.rank());
        if (size < 0) throw new ShapeException("scatterAdd: negative size " + size);
        int[] shape = x.shape();
        Geometry geo = geometry("scatterAdd", shape, a, index);
        if (shape[a] != geo.k) {
            throw new ShapeException("scatterAdd: input " + Shape.str(shape) + " has " + shape[a] + " rows on axis " + a
                    + " for an index " + Shape.str(index.shape()) + " of " + geo.k);
        }
        int[] outShape = shape.clone();
        outShape[a] = size;
        Tensor xc = Movement.contiguous(x), ic = Movement.contiguous(index);
        Backend be = x.backend();
        Buffer out = be.allocate(Shape.numel(outShape));                 // zeros: scatterAdd adds into it
        be.scatterAdd(xc.buffer(), ic.buffer(), out, geo.outer, size, geo.k, geo.inner);
        return Tape.record("scatterAdd", wrap(be, out, outShape), g -> {
            Buffer dx = be.allocateUninitialized(xc.numel());
            be.gather(g.buffer(), ic.buffer(), dx, geo.outer, size, geo.k, geo.inner);
            return new Tensor[] {wrap(be, dx, shape)};
        }, xc);
    }

    /** outer = Π shape[:axis], k = index.shape[axis], inner = Π shape[axis+1:]. */
    private record Geometry(int outer, int k, int inner) {}

    private static Geometry geometry(String op, int[] shape, int a, Tensor index) {
        int[] is = index.shape();
        if (!index.isInt()) throw new IllegalArgumentException(op + ": index must be int32, got " + index);
        if (is.length != a + 1 || !Arrays.equals(Arrays.copyOf(is, a), Arrays.copyOf(shape, a))) {
            String expected = a == 0 ? "[K]" : Shape.str(Arrays.copyOf(shape, a)).replace("]", ", K]");
            throw new ShapeException(op + ": index " + Shape.str(is) + " does not fit input " + Shape.str(shape)
                    + " on axis " + a + " (expected " + expected + ")");
        }
        return new Geometry(Shape.numel(Arrays.copyOf(shape, a)), is[a],
                Shape.numel(Arrays.copyOfRange(shape, a + 1, shape.length)));
    }
}
