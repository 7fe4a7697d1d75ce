package dev.tessera.engine.nn;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.ops.MatMul;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;

/**
 * y = x·Wᵀ + b (torch.nn.Linear) with timm's names: {@code weight} [out, in], {@code bias} [out].
 *
 * <p>Initialisation: xavier_uniform weight, zero bias — what MAE and CAE re-initialise every Linear to
 * (docs/vit.md#initialisation: MAE's {@code _init_weights}, CAE's top-level re-init). This differs from torch's own default
 * (kaiming_uniform with a = √5, i.e. U(±1/√in) for both weight and bias); code that needs another init
 * (heads: truncated normal) overwrites {@link #weight()} after construction.
 */
public final class Linear extends Module {
    private final Parameter weight;
    private final Parameter bias;

    /**
     * @param bias whether to have a bias (CAE's qkv has none; its q/v biases are separate parameters)
     * @param rng  source of the xavier_uniform draws
     */
    public Linear(Backend backend, int in, int out, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear: sizes must be positive, got in " + in + ", out " + out);
        this.weight = parameter("weight", Tensor.of(backend, rng.xavierUniform(out, in), out, in));
        this.bias = bias ? parameter("bias", Tensor.zeros(backend, out)) : null;
    }

    /** x [.., in] → [.., out]. */
    public Tensor forward(Tensor x) {
        return x.linear(weight.tensor(), bias == null ? null : bias.tensor());
    }

    /**
     * GELU(x·Wᵀ + b) as one fused op (an MLP's fc1 → GELU): the same values as {@code forward(x).gelu()}, with the
     * bias and the activation applied in the product's epilogue. Needs a bias.
     */
    public Tensor forwardGelu(Tensor x) {
        if (bias == null) return forward(x).gelu();
        return MatMul.linearGelu(x, weight.tensor(), bias.tensor());
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null when built without one. */
    public Parameter bias() {
        return bias;
    }

    public int inFeatures() {
        return weight.shape()[1];
    }

    public int outFeatures() {
        return weight.shape()[0];
    }
}
