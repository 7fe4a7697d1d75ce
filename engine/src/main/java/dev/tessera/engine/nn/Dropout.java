package dev.tessera.engine.nn;

import dev.tessera.engine.tensor.Tensor;
import java.util.random.RandomGenerator;

/**
 * Element dropout (torch.nn.Dropout): in training, zero each element with probability p and scale the rest
 * by 1/(1−p); in evaluation, the identity. timm's ViT has dropout slots (pos_drop, attn/proj/mlp drop) that
 * every MAE and CAE config sets to 0; the module exists for those slots and for experiments.
 * The random generator is passed in so runs are reproducible (give it its own {@code Rng.fork}).
 */
public final class Dropout extends Module {
    private final float p;
    private final RandomGenerator rng;

    public Dropout(float p, RandomGenerator rng) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        this.p = p;
        this.rng = rng;
    }

    public Tensor forward(Tensor x) {
        return dev.tessera.engine.ops.Dropout.dropout(x, p, rng, isTraining());
    }

    public float p() {
        return p;
    }
}
