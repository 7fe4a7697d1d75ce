package dev.tessera.vit;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import java.util.Arrays;

/**
 * timm's {@code PatchEmbed}: a stride-p, kernel-p convolution C→D with bias, computed as one matmul on the
 * flattened patches (docs/vit.md#patch-embedding). Parameter names and shapes are the checkpoint's: {@code proj.weight}
 * [D, C, p, p], {@code proj.bias} [D].
 *
 * <p>A conv with kernel = stride = p sees each patch once, so conv(x)[n, d, r, c] = Σ W[d, ch, i, j] ·
 * x[n, ch, r·p + i, c·p + j] + b[d]. Flattening the patch channel-FIRST, index (ch·p + i)·p + j, makes that a
 * Linear with the weight viewed as [D, C·p²]. (The MAE loss target is flattened channel-last — {@link Patchify};
 * the two orders only meet when loading official weights, which is why we keep the conv's.)
 *
 * <p>Init (MAE {@code initialize_weights}): the weight is xavier_uniform on its [D, C·p²] view; the bias keeps
 * PyTorch's Conv2d default U(±1/√(C·p²)) because MAE's init never touches it (docs/vit.md#initialisation).
 */
public final class PatchEmbed extends Module {
    private final int patchSize, inChans, imgSize, dim;
    private final Proj proj;

    /** The conv's parameters under the name {@code proj}. */
    static final class Proj extends Module {
        final Parameter weight, bias;

        Proj(Backend backend, int dim, int inChans, int p, Rng rng) {
            int fanIn = inChans * p * p;
            float bound = (float) (1.0 / Math.sqrt(fanIn));
            // xavier on the [D, C·p²] view: same memory as [D, C, p, p] row-major.
            weight = parameter("weight", Tensor.of(backend, rng.xavierUniform(dim, fanIn), dim, inChans, p, p));
            bias = parameter("bias", Tensor.of(backend, rng.uniform(dim, -bound, bound), dim));
        }
    }

    public PatchEmbed(Backend backend, int imgSize, int patchSize, int inChans, int dim, Rng rng) {
        if (imgSize % patchSize != 0) {
            throw new IllegalArgumentException("PatchEmbed: image size " + imgSize + " is not a multiple of patch " + patchSize);
        }
        this.imgSize = imgSize;
        this.patchSize = patchSize;
        this.inChans = inChans;
        this.dim = dim;
        this.proj = module("proj", new Proj(backend, dim, inChans, patchSize, rng));
    }

    /** G, patches per side. */
    public int gridSize() {
        return imgSize / patchSize;
    }

    /** L = G². */
    public int numPatches() {
        return gridSize() * gridSize();
    }

    public int patchSize() {
        return patchSize;
    }

    /** Throws unless {@code images} is [N, C, H, W] with the configured C, H, W; names expected vs actual. */
    public void checkImages(Tensor images) {
        int[] s = images.shape();
        int[] want = {inChans, imgSize, imgSize};
        if (s.length != 4 || !Arrays.equals(Arrays.copyOfRange(s, 1, 4), want)) {
            throw new ShapeException("expected images [N, C, H, W] with [C, H, W] = " + Shape.str(want) + ", got "
                    + Shape.str(s) + (s.length == 4 ? " ([C, H, W] = " + Shape.str(Arrays.copyOfRange(s, 1, 4)) + ")" : ""));
        }
    }

    /** images [N, C, H, W] → tokens [N, L, D] in raster patch order. */
    public Tensor forward(Tensor images) {
        checkImages(images);
        int n = images.dim(0), g = gridSize(), p = patchSize, c = inChans;
        Tensor patches = images.reshape(n, c, g, p, g, p)   // [N, C, h, p, w, q]
                .permute(0, 2, 4, 1, 3, 5)                  // [N, h, w, C, p, q]   channel-first inside a patch
                .contiguous()
                .reshape(n, g * g, c * p * p);              // [N, L, C·p²]
        Tensor w = proj.weight.tensor().reshape(dim, c * p * p); // [D, C·p²]
        return patches.linear(w, proj.bias.tensor());       // [N, L, D]
    }
}
