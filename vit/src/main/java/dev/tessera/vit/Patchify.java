package dev.tessera.vit;

import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;

/**
 * MAE's {@code patchify} / {@code unpatchify} (docs/mae.md#patchify): images [N, C, H, W] ⇄ patch vectors [N, L, p²·C].
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
}
