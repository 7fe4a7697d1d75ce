package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.recordFused;
import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.tensor.internal.Deferred;
import java.util.Arrays;

/**
 * Matrix products on the backend's batched GEMM. For Y = X·W: dX = dY·Wᵀ and dW = Xᵀ·dY. Both are returned
 * as {@link Deferred} gradients, so each GEMM writes straight where the tape says: with beta = 1 into an
 * existing gradient (a parameter's slice of the flat gradient store, the residual stream), with beta = 0 into
 * new memory that becomes the gradient. No temporary is made either way.
 */
public final class MatMul {
    private MatMul() {}

    /**
     * a [.., m, k] · b: with b [k, n] every leading axis of a is folded into m (one big GEMM — the shape of
     * every Linear in a ViT); with b [B.., k, n] and a [B.., m, k] (same leading axes) it is a batched GEMM.
     */
    public static Tensor matmul(Tensor a, Tensor b) {
        Elementwise.requireFloat("matmul", a);
        Elementwise.requireFloat("matmul", b);
        if (a.rank() < 2 || b.rank() < 2) {
            throw new ShapeException("matmul needs rank >= 2, got " + Shape.str(a.shape()) + " and " + Shape.str(b.shape()));
        }
        int k = a.dim(-1), m = a.dim(-2), n = b.dim(-1);
        if (b.dim(-2) != k) {
            throw new ShapeException("matmul: inner dimensions differ: " + Shape.str(a.shape()) + " · " + Shape.str(b.shape()));
        }
        Tensor ac = a.isContiguous() ? a : a.contiguous();
        Tensor bc = b.isContiguous() ? b : b.contiguous();
        Backend be = a.backend();
        int[] outShape = a.shape();
        outShape[outShape.length - 1] = n;
        if (b.rank() == 2) {
            int rows = Shape.numel(Arrays.copyOf(a.shape(), a.rank() - 1)); // not numel/k: k may be 0
            Buffer out = be.allocateUninitialized(rows * n);
            be.matmul(false, false, 1, rows, n, k, 1f, ac.buffer(), 0, bc.buffer(), 0, 0f, out);
            return recordFused("matmul", wrap(be, out, outShape), g -> new Deferred[] {
                ac.requiresGrad() ? (da, add) -> be.matmul(false, true, 1, rows, k, n, 1f, g.buffer(), 0, bc.buffer(), 0, beta(add), da) : null,
                bc.requiresGrad() ? (db, add) -> be.matmul(true, false, 1, k, n, rows, 1f, ac.buffer(), 0, g.buffer(), 0, beta(add), db) : null,
            }, ac, bc);
        }
        int[] lead = Arrays.copyOf(a.shape(), a.rank() - 2);
        if (!Arrays.equals(lead, Arrays.copyOf(b.shape(), b.rank() - 2))) {
            throw new ShapeException("batched matmul: leading axes differ: " + Shape.str(a.shape()) + " · " + Shape.str(b.shape()));
        }
        int batch = Shape.numel(lead);
        Buffer out = be.allocateUninitialized(batch * m * n);
        be.matmul(false, false, batch, m, n, k, 1f, ac.buffer(), m * k, bc.buffer(), k * n, 0f, out);
        return recordFused("matmul", wrap(be, out, outShape), g -> new Deferred[] {
            ac.requiresGrad() ? (da, add) -> be.matmul(false, true, batch, m, k, n, 1f, g.buffer(), m * n, bc.buffer(), k * n, beta(add), da) : null,
            bc.requiresGrad() ? (db, add) -> be.matmul(true, false, batch, k, n, m, 1f, ac.buffer(), m * k, g.buffer(), m * n, beta(add), db) : null,
        }, ac, bc);
    }

    /** torch.nn.functional.linear: x [.., in] · Wᵀ + b with W [out, in], b [out] (or null). */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        Elementwise.requireFloat("linear", x);
        Elementwise.requireFloat("linear", w);
        if (bias != null) Elementwise.requireFloat("linear", bias);
        if (w.rank() != 2 || x.rank() < 1 || x.dim(-1) != w.dim(1)) {
            throw new ShapeException("linear: input " + Shape.str(x.shape()) + " and weight " + Shape.str(w.shape())
                    + " (expected weight [out, " + (x.rank() > 0 ? x.dim(-1) : "?") + "])");
        }
        int in = w.dim(1), outF = w.dim(0);
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != outF)) {
            throw new ShapeException("linear: bias " + Shape.str(bias.shape()) + " for weight " + Shape.str(w.shape()));
        }
        Tensor xc = x.isContiguous() ? x : x.contiguous();
        Tensor wc = w.isContiguous() ? w : w.contiguous();
        Backend be = x.backend();
        int rows = Shape.numel(Arrays.copyOf(x.shape(), x.rank() - 1));
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = outF;
        Buffer out = be.allocateUninitialized(rows * outF);
        if (bias != null) {
            // Start from the bias broadcast over rows, then accumulate x·Wᵀ on top (beta = 1).
            be.copyStrided(bias.buffer(), new int[] {0, bias.strides()[0]}, out, new int[] {outF, 1},
                    new int[] {rows, outF}, false);
        }
        be.matmul(false, true, 1, rows, outF, in, 1f, xc.buffer(), 0, wc.buffer(), 0, bias != null ? 1f : 0f, out);
        Tensor[] inputs = bias != null ? new Tensor[] {xc, wc, bias} : new Tensor[] {xc, wc};
        return recordFused("linear", wrap(be, out, outShape), g -> {
            Deferred dx = xc.requiresGrad()
                    ? (d, add) -> be.matmul(false, false, 1, rows, in, outF, 1f, g.buffer(), 0, wc.buffer(), 0, beta(add), d) : null;
            Deferred dw = wc.requiresGrad()
                    ? (d, add) -> be.matmul(true, false, 1, outF, in, rows, 1f, g.buffer(), 0, xc.buffer(), 0, beta(add), d) : null;
            if (bias == null) return new Deferred[] {dx, dw};
            return new Deferred[] {dx, dw, bias.requiresGrad() ? (d, add) -> sumRows(be, g.buffer(), rows, outF, d, add) : null};
        }, inputs);
    }

    /** GEMM's beta: add to the destination, or overwrite it. */
    private static float beta(boolean add) {
        return add ? 1f : 0f;
    }

    /** d (+)= Σ over rows of g [rows, cols]: the bias gradient. The reduction overwrites, so adding needs a temporary. */
    private static void sumRows(Backend be, Buffer g, int rows, int cols, Buffer d, boolean add) {
        Buffer sum = add ? be.allocateUninitialized(cols) : d;
        be.reduce(ReduceOp.SUM, g, 1, rows, cols, sum);
        if (add) be.binary(BinaryOp.ADD, d, new int[] {1}, sum, new int[] {1}, d, new int[] {cols});
    }
}
