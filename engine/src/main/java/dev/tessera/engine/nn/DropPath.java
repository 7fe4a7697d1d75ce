package dev.tessera.engine.nn;

import dev.tessera.engine.tensor.Tensor;
import java.util.random.RandomGenerator;

/**
 * Stochastic depth (Huang et al. 2016; timm {@code DropPath}): in training, drop a residual branch for a
 * whole sample with probability p and scale kept samples by 1/(1−p); the identity in evaluation. Fine-tuning
 * uses rates rising linearly over the blocks up to 0.1–0.3 (docs/mae.md#fine-tuning); pre-training uses none.
 */
public final class DropPath extends Module {
    private final float p;
    private final RandomGenerator rng;

    public DropPath(float p, RandomGenerator rng) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("DropPath: p must be in [0, 1), got " + p);
        this.p = p;
        this.rng = rng;
    }

    /** x [N, ..]: one keep/drop decision per sample (axis 0). */
    public Tensor forward(Tensor x) {
        return dev.tessera.engine.ops.Dropout.dropPath(x, p, rng, isTraining());
    }

    public float p() {
        return p;
    }
}
