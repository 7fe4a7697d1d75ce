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

/**
 * torch.nn.functional.conv2d for NCHW tensors (square stride and zero padding, no dilation or groups): the layer
 * of OpenAI's DALL-E dVAE encoder ({@code dall_e/utils.py Conv2d}, the tokenizer of CAE's pretext target).
 *
 * <p>It is im2col + GEMM built from two backend primitives only, so it runs on every backend: the padded input is
 * read through one strided copy into columns {@code cols [N, C·kh·kw, Ho·Wo]} (no arithmetic, just a view with
 * strides (C·Hp·Wp, Hp·Wp, Wp, 1, s·Wp, s) over the axes (n, c, i, j, oy, ox)), and the output is one batched
 * GEMM {@code out_n [O, Ho·Wo] = W [O, C·kh·kw] · cols_n} whose result is already NCHW. Backward:
 * <pre>
 *   dW    = Σ_n dY_n · cols_nᵀ            (N GEMMs accumulating into one destination)
 *   dcols = Wᵀ · dY_n                     (one batched GEMM)
 *   dX    = col2im(dcols)                 (kh·kw accumulating strided copies, one per kernel offset (i, j):
 *                                          within one offset no two columns hit the same input pixel)
 *   db    = Σ over n, oy, ox of dY
 * </pre>
 * A 1×1 kernel with stride 1 and no padding skips im2col: the input is its own column matrix.
 */
public final class Conv2dOp {
    private Conv2dOp() {}

    /**
     * @param x       [N, C, H, W]
     * @param weight  [O, C, kh, kw]
     * @param bias    [O] or null
     * @param stride  ≥ 1, both axes
     * @param padding ≥ 0 zeros on every side
     * @return [N, O, Ho, Wo] with Ho = (H + 2p − kh)/s + 1 (floor), likewise Wo
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        Elementwise.requireFloat("conv2d", x);
        Elementwise.requireFloat("conv2d", weight);
        if (bias != null) Elementwise.requireFloat("conv2d", bias);
        if (x.rank() != 4 || weight.rank() != 4 || x.dim(1) != weight.dim(1)) {
            throw new ShapeException("conv2d: input " + Shape.str(x.shape()) + " and weight " + Shape.str(weight.shape())
                    + " (expected input [N, C, H, W] and weight [O, C, kh, kw] with the same C)");
        }
        if (stride < 1 || padding < 0) {
            throw new IllegalArgumentException("conv2d: stride " + stride + " must be >= 1 and padding " + padding + " >= 0");
        }
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        int o = weight.dim(0), kh = weight.dim(2), kw = weight.dim(3);
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != o)) {
            throw new ShapeException("conv2d: bias " + Shape.str(bias.shape()) + " for weight " + Shape.str(weight.shape()));
        }
        int hp = h + 2 * padding, wp = w + 2 * padding;
        if (hp < kh || wp < kw) {
            throw new ShapeException("conv2d: kernel " + kh + "×" + kw + " is larger than the padded input " + hp + "×" + wp
                    + " of " + Shape.str(x.shape()));
        }
        int ho = (hp - kh) / stride + 1, wo = (wp - kw) / stride + 1, l = ho * wo, k = c * kh * kw;
        Geometry geo = new Geometry(n, c, h, w, kh, kw, stride, padding, hp, wp, ho, wo);
        Tensor xc = Movement.contiguous(x), wc = Movement.contiguous(weight);
        Backend be = x.backend();
        boolean pointwise = kh == 1 && kw == 1 && stride == 1 && padding == 0;
        Buffer cols = pointwise ? xc.buffer() : im2col(be, xc.buffer(), geo);
        Buffer out = be.allocateUninitialized(n * o * l);
        if (bias != null) {
            // Start from the bias broadcast over samples and positions, then accumulate W·cols on top (beta = 1).
            be.copyStrided(bias.buffer(), new int[] {0, bias.strides()[0], 0}, out, new int[] {o * l, l, 1},
                    new int[] {n, o, l}, false);
        }
        be.matmul(false, false, n, o, l, k, 1f, wc.buffer(), 0, cols, k * l, bias != null ? 1f : 0f, out);
        Tensor[] inputs = bias != null ? new Tensor[] {xc, wc, bias} : new Tensor[] {xc, wc};
        return recordFused("conv2d", wrap(be, out, n, o, ho, wo), g -> {
            Buffer dy = (g.isContiguous() ? g : g.contiguous()).buffer();
            Deferred dx = !xc.requiresGrad() ? null : pointwise
                    ? (d, add) -> be.matmul(true, false, n, k, l, o, 1f, wc.buffer(), 0, dy, o * l, add ? 1f : 0f, d)
                    : Deferred.adding(d -> {
                        Buffer dcols = be.allocateUninitialized(n * k * l);
                        be.matmul(true, false, n, k, l, o, 1f, wc.buffer(), 0, dy, o * l, 0f, dcols);
                        col2im(be, dcols, d, geo);
                    });
            Deferred dw = !wc.requiresGrad() ? null : (d, add) -> {
                for (int s = 0; s < n; s++) {
                    be.matmul(false, true, 1, o, k, l, 1f, dy.slice(s * o * l, o * l), 0, cols.slice(s * k * l, k * l), 0,
                            add || s > 0 ? 1f : 0f, d);
                }
            };
            if (bias == null) return new Deferred[] {dx, dw};
            return new Deferred[] {dx, dw, bias.requiresGrad() ? (d, add) -> biasGrad(be, dy, n, o, l, d, add) : null};
        }, inputs);
    }

    /** Sizes of one convolution; hp, wp are the padded input's. */
    private record Geometry(int n, int c, int h, int w, int kh, int kw, int stride, int pad, int hp, int wp, int ho, int wo) {
        int[] colShape() {
            return new int[] {n, c, kh, kw, ho, wo};
        }

        /** Strides, in the padded input, of the axes (n, c, i, j, oy, ox) of the column tensor. */
        int[] windowStrides() {
            return new int[] {c * hp * wp, hp * wp, wp, 1, stride * wp, stride};
        }
    }

    /** The zero-padded input [N, C, Hp, Wp] read as columns [N, C, kh, kw, Ho, Wo] (= [N, C·kh·kw, Ho·Wo]). */
    private static Buffer im2col(Backend be, Buffer x, Geometry g) {
        Buffer padded = x;
        if (g.pad > 0) {
            padded = be.allocate(g.n * g.c * g.hp * g.wp);                  // zeros are the padding
            int[] shape = {g.n, g.c, g.h, g.w}, inner = {g.c * g.hp * g.wp, g.hp * g.wp, g.wp, 1};
            be.copyStrided(x, Shape.contiguousStrides(shape), padded.slice(g.pad * g.wp + g.pad, Movement.extent(shape, inner)),
                    inner, shape, false);
        }
        int[] shape = g.colShape();
        Buffer cols = be.allocateUninitialized(Shape.numel(shape));
        be.copyStrided(padded, g.windowStrides(), cols, Shape.contiguousStrides(shape), shape, false);
        return cols;
    }

    /** dx += col2im(dcols): each kernel offset (i, j) adds its [N, C, Ho, Wo] slab of columns onto the input it read. */
    private static void col2im(Backend be, Buffer dcols, Buffer dx, Geometry g) {
        Buffer dpad = g.pad > 0 ? be.allocate(g.n * g.c * g.hp * g.wp) : dx;
        int[] slab = {g.n, g.c, g.ho, g.wo};
        int[] cs = Shape.contiguousStrides(g.colShape());
        int[] from = {cs[0], cs[1], cs[4], cs[5]};
        int[] ws = g.windowStrides();
        int[] to = {ws[0], ws[1], ws[4], ws[5]};
        int srcExtent = Movement.extent(slab, from), dstExtent = Movement.extent(slab, to);
        for (int i = 0; i < g.kh; i++) {
            for (int j = 0; j < g.kw; j++) {
                be.copyStrided(dcols.slice(i * cs[2] + j * cs[3], srcExtent), from,
                        dpad.slice(i * ws[2] + j * ws[3], dstExtent), to, slab, true);
            }
        }
        if (g.pad > 0) {
            int[] shape = {g.n, g.c, g.h, g.w}, inner = {g.c * g.hp * g.wp, g.hp * g.wp, g.wp, 1};
            be.copyStrided(dpad.slice(g.pad * g.wp + g.pad, Movement.extent(shape, inner)), inner, dx,
                    Shape.contiguousStrides(shape), shape, true);
        }
    }

    /** d (+)= Σ over samples and positions of dY [N, O, L]: two one-axis reductions. */
    private static void biasGrad(Backend be, Buffer dy, int n, int o, int l, Buffer d, boolean add) {
        Buffer perSample = be.allocateUninitialized(n * o);
        be.reduce(ReduceOp.SUM, dy, n * o, l, 1, perSample);
        Buffer sum = add ? be.allocateUninitialized(o) : d;
        be.reduce(ReduceOp.SUM, perSample, 1, n, o, sum);
        if (add) be.binary(BinaryOp.ADD, d, new int[] {1}, sum, new int[] {1}, d, new int[] {o});
    }
}
