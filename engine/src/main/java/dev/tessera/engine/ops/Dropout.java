package dev.tessera.engine.ops;

import dev.tessera.engine.tensor.Tensor;
import java.util.random.RandomGenerator;

/**
 * Dropout (Srivastava et al. 2014) and drop-path / stochastic depth (Huang et al. 2016, as timm's drop_path;
 * docs/vit.md#block), both "inverted": kept values are scaled by 1/(1−p) during training so evaluation is the
 * identity. Masks are drawn on the host from the caller's generator and uploaded, so every backend produces
 * the same result for one seed (the CPU↔CUDA parity tests rely on it). The backward rule is the product
 * rule of the mask multiply: the gradient is the mask itself.
 */
public final class Dropout {
    private Dropout() {}

    /** Zeroes each element with probability p and scales the rest by 1/(1−p); x itself when off. */
    public static Tensor dropout(Tensor x, float p, RandomGenerator rng, boolean training) {
        checkP("dropout", p);
        if (!training || p == 0f) return x;
        float keepScale = 1f / (1f - p);
        float[] mask = new float[x.numel()];
        for (int i = 0; i < mask.length; i++) mask[i] = rng.nextFloat() >= p ? keepScale : 0f;
        return x.mul(Tensor.of(x.backend(), mask, x.shape()));
    }

    /**
     * Drops whole samples along axis 0: sample n is multiplied by bernoulli(1−p)/(1−p). Applied to a residual
     * branch, a dropped sample skips the block (y = x + 0).
     */
    public static Tensor dropPath(Tensor x, float p, RandomGenerator rng, boolean training) {
        float[] keep = dropPathKeep("dropPath", x, p, rng, training);
        return keep == null ? x : x.mul(Tensor.of(x.backend(), keep, maskShape(x)));
    }

    /**
     * Drop path's per-sample factors: bernoulli(1−p)/(1−p) for each of x's dim(0) samples, drawn in order from
     * {@code rng}; null (and no draw) when off. Shared with {@link ScaledResidual}, so both draw the same mask.
     */
    static float[] dropPathKeep(String op, Tensor x, float p, RandomGenerator rng, boolean training) {
        checkP(op, p);
        if (!training || p == 0f) return null;
        if (x.rank() < 1) throw new IllegalArgumentException(op + ": needs a batch axis, got a scalar");
        float keepScale = 1f / (1f - p);
        float[] mask = new float[x.dim(0)];
        for (int n = 0; n < mask.length; n++) mask[n] = rng.nextFloat() >= p ? keepScale : 0f;
        return mask;
    }

    /** [N, 1, …, 1] of x's rank: the drop-path mask broadcast over everything but the sample. */
    static int[] maskShape(Tensor x) {
        int[] maskShape = new int[x.rank()];
        java.util.Arrays.fill(maskShape, 1);
        maskShape[0] = x.dim(0);
        return maskShape;
    }

    private static void checkP(String op, float p) {
        if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException(op + ": p = " + p + " is outside [0, 1)");
    }
}
