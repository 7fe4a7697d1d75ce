package dev.tessera.engine.nn;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.Tensor;

/**
 * Layer norm over the last axis (torch.nn.LayerNorm(dim, eps)): weight initialised to ones and bias to
 * zeros (docs/vit.md#initialisation). ViT blocks use eps 1e-6 (timm's {@code partial(nn.LayerNorm, eps=1e-6)}), not torch's
 * default 1e-5, so eps is always given explicitly.
 */
public final class LayerNorm extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final float eps;

    public LayerNorm(Backend backend, int dim, float eps) {
        if (dim <= 0) throw new IllegalArgumentException("LayerNorm: dim must be positive, got " + dim);
        if (!(eps > 0)) throw new IllegalArgumentException("LayerNorm: eps must be positive, got " + eps);
        this.weight = parameter("weight", Tensor.ones(backend, dim));
        this.bias = parameter("bias", Tensor.zeros(backend, dim));
        this.eps = eps;
    }

    /** x [.., dim] → same shape, normalised per row with the biased variance. */
    public Tensor forward(Tensor x) {
        return x.layerNorm(weight.tensor(), bias.tensor(), eps);
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    public float eps() {
        return eps;
    }
}
