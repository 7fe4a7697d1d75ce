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
import dev.tessera.engine.tensor.internal.JointGradients;
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
        int[] outShape = checkLinear("linear", x, w, bias);
        int in = w.dim(1), outF = w.dim(0);
        Tensor xc = x.isContiguous() ? x : x.contiguous();
        Tensor wc = w.isContiguous() ? w : w.contiguous();
        Backend be = x.backend();
        int rows = Shape.numel(Arrays.copyOf(x.shape(), x.rank() - 1));
        Buffer out = be.allocateUninitialized(rows * outF);
        be.matmulEpilogue(xc.buffer(), wc.buffer(), bias == null ? null : biasBuffer(bias), rows, outF, in, false, null, out);
        Tensor[] inputs = bias != null ? new Tensor[] {xc, wc, bias} : new Tensor[] {xc, wc};
        return recordFused("linear", wrap(be, out, outShape), g -> linearGrads(be, g.buffer(), xc, wc, bias, rows, in, outF),
                inputs);
    }

    /**
     * GELU(x·Wᵀ + b), the first half of a transformer MLP (timm Mlp: fc1 → GELU), as one op whose forward is one fused
     * GEMM epilogue ({@link Backend#matmulEpilogue}). Backward: g_pre = g·GELU'(pre) once, then the linear's rules.
     */
    public static Tensor linearGelu(Tensor x, Tensor w, Tensor bias) {
        if (bias == null) throw new IllegalArgumentException("linearGelu: the fused form needs a bias");
        int[] outShape = checkLinear("linearGelu", x, w, bias);
        Tensor xc = x.isContiguous() ? x : x.contiguous();
        Tensor wc = w.isContiguous() ? w : w.contiguous();
        Backend be = x.backend();
        int in = w.dim(1), outF = w.dim(0), rows = Shape.numel(Arrays.copyOf(x.shape(), x.rank() - 1));
        Buffer pre = be.allocateUninitialized(rows * outF), out = be.allocateUninitialized(rows * outF);
        be.matmulEpilogue(xc.buffer(), wc.buffer(), biasBuffer(bias), rows, outF, in, true, pre, out);
        return recordFused("linearGelu", wrap(be, out, outShape), g -> {
            Buffer gPre = be.allocateUninitialized(rows * outF);
            int[] flat = {rows * outF}, unit = {1};
            be.binary(BinaryOp.GELU_GRAD, pre, unit, g.buffer(), unit, gPre, flat);
            return linearGrads(be, gPre, xc, wc, bias, rows, in, outF);
        }, xc, wc, bias);
    }

    /** Checks linear's operands; returns the output shape [.., out]. */
    private static int[] checkLinear(String op, Tensor x, Tensor w, Tensor bias) {
        Elementwise.requireFloat(op, x);
        Elementwise.requireFloat(op, w);
        if (bias != null) Elementwise.requireFloat(op, bias);
        if (w.rank() != 2 || x.rank() < 1 || x.dim(-1) != w.dim(1)) {
            throw new ShapeException(op + ": input " + Shape.str(x.shape()) + " and weight " + Shape.str(w.shape())
                    + " (expected weight [out, " + (x.rank() > 0 ? x.dim(-1) : "?") + "])");
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != w.dim(0))) {
            throw new ShapeException(op + ": bias " + Shape.str(bias.shape()) + " for weight " + Shape.str(w.shape()));
        }
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = w.dim(0);
        return outShape;
    }

    /** The bias as a contiguous buffer of its n elements (a parameter always is; a view is copied). */
    private static Buffer biasBuffer(Tensor bias) {
        return (bias.isContiguous() ? bias : bias.contiguous()).buffer();
    }

    /**
     * dx = g·W, dW = gᵀ·x, db = Σ_rows g: each written where the tape says, or added into it. dW and db, when both
     * are needed, are one backend op ({@link Backend#matmulWeightGrad}): a device GEMM sums db from its own tiles.
     */
    private static Deferred[] linearGrads(Backend be, Buffer g, Tensor xc, Tensor wc, Tensor bias, int rows, int in, int outF) {
        Deferred dx = xc.requiresGrad()
                ? (d, add) -> be.matmul(false, false, 1, rows, in, outF, 1f, g, 0, wc.buffer(), 0, beta(add), d) : null;
        if (bias != null && wc.requiresGrad() && bias.requiresGrad()) {
            Deferred[] joint = JointGradients.perSlot(new boolean[] {false, true, true}, (d, add) ->
                    be.matmulWeightGrad(g, xc.buffer(), rows, outF, in, d[1], add[1], d[2], add[2]));
            joint[0] = dx;
            return joint;
        }
        Deferred dw = wc.requiresGrad()
                ? (d, add) -> be.matmul(true, false, 1, outF, in, rows, 1f, g, 0, xc.buffer(), 0, beta(add), d) : null;
        if (bias == null) return new Deferred[] {dx, dw};
        return new Deferred[] {dx, dw, bias.requiresGrad() ? (d, add) -> sumRows(be, g, rows, outF, d, add) : null};
    }

    /** GEMM's beta: add to the destination, or overwrite it. */
    private static float beta(boolean add) {
        return add ? 1f : 0f;
    }

    /** d (+)= Σ over rows of g [rows, cols]: the bias gradient, added by one fused op, or written by the reduction. */
    private static void sumRows(Backend be, Buffer g, int rows, int cols, Buffer d, boolean add) {
        if (add) be.addColumnSums(g, rows, cols, d);
        else be.reduce(ReduceOp.SUM, g, 1, rows, cols, d);
    }
}
