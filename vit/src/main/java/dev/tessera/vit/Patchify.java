package dev.tessera.vit;

import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;

/**
 * MAE's {@code patchify} / {@code unpatchify} (docs/mae.md#patchify): images [N, C, H, W] ⇄ patch vectors [N, L, p²·C],
 * and the per-patch normalisation of MAE's {@code norm_pix_loss} target ({@link #normPix}, {@link #denormPix}).
 *
 * <p>Patch n = r·G + c (raster order). Inside a patch the vector index is {@code (i·p + j)·C + ch}: row-major
 * over the p×p pixels, channel LAST. This is the order of MAE's loss target and of {@code decoder_pred}'s
 * output; it differs from the patch-embedding order (channel first, {@link PatchEmbed}).
 *
 * <p>Both directions are one reshape → permute → contiguous → reshape, so they are autograd ops (the
 * backward of each is the other) and never loop over pixels in Java.
 */
public final class Patchify {
    private Patchify() {}

    /** The eps under the square root of {@link #normPix}, as in {@code models_mae.py}'s forward_loss. */
    public static final float NORM_PIX_EPS = 1e-6f;

    /** imgs [N, C, H, W] (H = W, divisible by p) → x [N, L, p²·C]. */
    public static Tensor patchify(Tensor imgs, int p) {
        if (imgs.rank() != 4 || imgs.dim(2) != imgs.dim(3) || imgs.dim(2) % p != 0) {
            throw new ShapeException("patchify: expected square images [N, C, H, W] with H = W divisible by " + p
                    + ", got " + Shape.str(imgs.shape()));
        }
        int n = imgs.dim(0), c = imgs.dim(1), g = imgs.dim(2) / p;
        return imgs.reshape(n, c, g, p, g, p)        // [N, C, h, p, w, q]   (h, w patch grid; p, q inside)
                .permute(0, 2, 4, 3, 5, 1)           // [N, h, w, p, q, C]   ('nchpwq->nhwpqc')
                .contiguous()
                .reshape(n, g * g, p * p * c);       // [N, L, p²·C]
    }

    /** x [N, L, p²·C] → imgs [N, C, H, W] with H = W = √L·p; the exact inverse of {@link #patchify}. */
    public static Tensor unpatchify(Tensor x, int p, int channels) {
        int l = x.rank() == 3 ? x.dim(1) : -1;
        int g = (int) Math.round(Math.sqrt(Math.max(l, 0)));
        if (x.rank() != 3 || g * g != l || x.dim(2) != p * p * channels) {
            throw new ShapeException("unpatchify: expected [N, L, " + (p * p * channels) + "] with L a square, got "
                    + Shape.str(x.shape()));
        }
        int n = x.dim(0);
        return x.reshape(n, g, g, p, p, channels)    // [N, h, w, p, q, C]
                .permute(0, 5, 1, 3, 2, 4)           // [N, C, h, p, w, q]   ('nhwpqc->nchpwq')
                .contiguous()
                .reshape(n, channels, g * p, g * p); // [N, C, H, W]
    }

    /**
     * MAE's norm_pix_loss target ({@code models_mae.py}, forward_loss): every patch vector normalised by its own
     * mean and UNBIASED variance (torch's {@code .var} default, Bessel's n−1), (x − μ)/√(σ² + 1e-6). A constant
     * patch becomes all zeros. patches [.., P] → the same shape. MAE's target and CAE's pixel target both use it.
     */
    public static Tensor normPix(Tensor patches) {
        Tensor mean = patches.mean(-1, true);                               // [.., 1]
        Tensor var = patches.var(new int[] {-1}, true, true);               // [.., 1]  unbiased
        return patches.sub(mean).div(var.add(NORM_PIX_EPS).sqrt());
    }

    /**
     * The inverse of {@link #normPix} with the statistics of {@code reference} (the original patches): the
     * normalised {@code values}·√(σ² + 1e-6) + μ, per patch. This is how MAE's demo draws a norm-pix model's
     * predictions; for removed patches it borrows their true statistics, so the picture looks better than what
     * the model alone knows (pengzhiliang/MAE-pytorch#40).
     */
    public static Tensor denormPix(Tensor values, Tensor reference) {
        Tensor mean = reference.mean(-1, true);
        Tensor var = reference.var(new int[] {-1}, true, true);
        return values.mul(var.add(NORM_PIX_EPS).sqrt()).add(mean);
    }
}
