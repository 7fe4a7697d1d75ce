package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.recordFused;
import static dev.tessera.engine.tensor.internal.TensorInternals.view;
import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tape;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.tensor.internal.Deferred;

/**
 * Ops that move data without arithmetic: reshape, permute/transpose, narrow, expand (views), contiguous,
 * concat and split. Every copy goes through the backend's one strided-copy primitive; every backward rule
 * is the same move in reverse. Most return a view of the output's gradient, which the tape hands on
 * without copying.
 */
public final class Movement {
    private Movement() {}

    public static Tensor reshape(Tensor x, int... newShape) {
        int[] to = Shape.inferReshape(x.shape(), newShape);
        Tensor c = x.isContiguous() ? x : contiguous(x);
        Tensor v = view(c, c.buffer().slice(0, c.numel()), to, Shape.contiguousStrides(to));
        int[] from = c.shape();
        return Tape.record("reshape", v, g -> new Tensor[] {g.reshape(from)}, c);
    }

    public static Tensor permute(Tensor x, int... order) {
        int rank = x.rank();
        if (order.length != rank) {
            throw new ShapeException("permute: order of length " + order.length + " for shape " + Shape.str(x.shape()));
        }
        int[] shape = x.shape(), strides = x.strides(), ns = new int[rank], nst = new int[rank], inverse = new int[rank];
        boolean[] used = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int a = Shape.axis("permute", order[i], rank);
            if (used[a]) throw new ShapeException("permute: axis " + a + " appears twice in " + java.util.Arrays.toString(order));
            used[a] = true;
            ns[i] = shape[a];
            nst[i] = strides[a];
            inverse[a] = i;
        }
        Tensor v = view(x, x.buffer(), ns, nst);
        return Tape.record("permute", v, g -> new Tensor[] {g.permute(inverse)}, x);
    }

    public static Tensor transpose(Tensor x, int a, int b) {
        int rank = x.rank();
        int[] order = new int[rank];
        for (int i = 0; i < rank; i++) order[i] = i;
        a = Shape.axis("transpose", a, rank);
        b = Shape.axis("transpose", b, rank);
        order[a] = b;
        order[b] = a;
        return permute(x, order);
    }

    public static Tensor contiguous(Tensor x) {
        if (x.isContiguous()) return x;
        Backend be = x.backend();
        int[] shape = x.shape();
        if (x.isInt()) return contiguousInts(x);
        Buffer out = be.allocateUninitialized(x.numel());
        be.copyStrided(x.buffer(), x.strides(), out, Shape.contiguousStrides(shape), shape, false);
        return Tape.record("contiguous", wrap(be, out, shape), g -> new Tensor[] {g}, x);
    }

    /**
     * The backend's strided copy is float32-only, but index tensors get sliced too (MAE's
     * {@code ids_keep = ids_shuffle[:, :len_keep]} is a narrow of an int tensor). Index tensors are small
     * (N·L ints), so they are materialised with one host round trip instead of a second device primitive.
     */
    private static Tensor contiguousInts(Tensor x) {
        int[] shape = x.shape(), strides = x.strides();
        int n = x.numel();
        int[] src = x.backend().downloadInts(x.buffer().slice(0, extent(shape, strides)));
        int[] dst = new int[n];
        int[] idx = new int[shape.length];
        for (int i = 0; i < n; i++) {
            int at = 0;
            for (int d = 0; d < shape.length; d++) at += idx[d] * strides[d];
            dst[i] = src[at];
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return Tensor.ofInts(x.backend(), dst, shape);
    }

    public static Tensor narrow(Tensor x, int axis, int start, int length) {
        int a = Shape.axis("narrow", axis, x.rank());
        int[] shape = x.shape(), strides = x.strides();
        if (start < 0 || length < 0 || start + length > shape[a]) {
            throw new ShapeException("narrow: [" + start + ", " + (start + length) + ") on axis " + a
                    + " of shape " + Shape.str(shape));
        }
        shape[a] = length;
        // An empty window starts at 0: start·stride may lie past the end of a strided parent's buffer.
        Buffer window = length == 0 ? x.buffer().slice(0, 0) : x.buffer().slice(start * strides[a], extent(shape, strides));
        Tensor v = view(x, window, shape, strides);
        int[] xShape = x.shape();
        return recordFused("narrow", v, g -> new Deferred[] {length == 0 ? null : Deferred.adding(dx -> {
            // Add g into the matching window of x's (contiguous) gradient; the rest of it gets nothing.
            int[] cs = Shape.contiguousStrides(xShape);
            Buffer part = dx.slice(start * cs[a], extent(g.shape(), cs));
            x.backend().copyStrided(g.buffer(), g.strides(), part, cs, g.shape(), true);
        })}, x);
    }

    public static Tensor expand(Tensor x, int... newShape) {
        int[] shape = x.shape();
        if (newShape.length < shape.length) {
            throw new ShapeException("expand: " + Shape.str(shape) + " to fewer axes " + Shape.str(newShape));
        }
        int lead = newShape.length - shape.length;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] != 1 && shape[i] != newShape[lead + i]) {
                throw new ShapeException("expand: cannot expand " + Shape.str(shape) + " to " + Shape.str(newShape));
            }
        }
        int[] st = Shape.broadcastStrides(shape, x.strides(), newShape);
        Tensor v = view(x, x.buffer(), newShape, st);
        return Tape.record("expand", v, g -> new Tensor[] {g}, x);          // the tape sums g down to x's shape
    }

    public static Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("concat: no tensors");
        int rank = parts[0].rank();
        int a = Shape.axis("concat", axis, rank);
        int[] shape = parts[0].shape();
        int total = 0;
        for (Tensor p : parts) {
            if (p.isInt()) throw new IllegalArgumentException("concat: int32 tensors are not supported (got " + p + ")");
            int[] s = p.shape();
            boolean ok = s.length == rank;
            for (int d = 0; ok && d < rank; d++) if (d != a && s[d] != shape[d]) ok = false;
            if (!ok) {
                throw new ShapeException("concat on axis " + a + ": shapes " + Shape.str(shape) + " and " + Shape.str(s)
                        + " differ off the concat axis");
            }
            total += s[a];
        }
        shape[a] = total;
        Backend be = parts[0].backend();
        Buffer out = be.allocateUninitialized(Shape.numel(shape));
        int[] cs = Shape.contiguousStrides(shape);
        int[] starts = new int[parts.length];
        int at = 0;
        for (int i = 0; i < parts.length; i++) {
            starts[i] = at;
            int[] ps = parts[i].shape();
            if (Shape.numel(ps) > 0) {
                be.copyStrided(parts[i].buffer(), parts[i].strides(), out.slice(at * cs[a], extent(ps, cs)), cs, ps, false);
            }
            at += ps[a];
        }
        return Tape.record("concat", wrap(be, out, shape), g -> {
            Tensor[] grads = new Tensor[parts.length];
            for (int i = 0; i < parts.length; i++) {
                if (parts[i].requiresGrad()) grads[i] = g.narrow(a, starts[i], parts[i].dim(a));
            }
            return grads;
        }, parts);
    }

    public static Tensor[] split(Tensor x, int axis, int... sizes) {
        int a = Shape.axis("split", axis, x.rank());
        int sum = 0;
        for (int s : sizes) sum += s;
        if (sum != x.dim(a)) {
            throw new ShapeException("split: sizes " + java.util.Arrays.toString(sizes) + " do not add up to "
                    + x.dim(a) + " on axis " + a + " of " + Shape.str(x.shape()));
        }
        Tensor[] out = new Tensor[sizes.length];
        int at = 0;
        for (int i = 0; i < sizes.length; i++) {
            out[i] = narrow(x, a, at, sizes[i]);
            at += sizes[i];
        }
        return out;
    }

    /** Number of buffer elements spanned by a strided view: 1 + Σ (n_d − 1)·s_d. */
    static int extent(int[] shape, int[] strides) {
        long e = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) return 0;
            e += (long) (shape[d] - 1) * strides[d];
        }
        return (int) e;
    }
}
