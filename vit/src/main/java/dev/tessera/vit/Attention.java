package dev.tessera.vit;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;

/**
 * Multi-head self-attention as timm's {@code Attention} (MAE) or BEiT's (CAE), docs/vit.md#block.
 * <pre>
 *   qkv = x·W_qkvᵀ + b        W_qkv [3D, D]; rows [q | k | v], each split into h heads of D/h (head-major)
 *   o   = softmax(q·kᵀ·(D/h)^−½)·v     per head (one fused op)
 *   out = concat heads · W_projᵀ + b_proj
 * </pre>
 * Bias variants (names are the checkpoints'): timm {@code qkv.bias} [3D]; BEiT/CAE {@code q_bias} [D] and
 * {@code v_bias} [D] with the k part of the bias fixed at zero (so {@code qkv} has no bias); or none.
 * The fused qkv weight is initialised as ONE xavier matrix, bound √(6/(D+3D)) (MAE's {@code _init_weights}).
 */
public final class Attention extends Module {
    private final int dim, heads;
    private final float scale;
    private final Linear qkv, proj;
    private final Parameter qBias, vBias;
    private final Tensor kBiasZero;

    /**
     * @param qkvBias timm's bias on the fused qkv Linear
     * @param qvBias  BEiT's separate q_bias and v_bias (k bias fixed at 0); exclusive with qkvBias
     */
    public Attention(Backend backend, int dim, int heads, boolean qkvBias, boolean qvBias, Rng rng) {
        if (dim % heads != 0) throw new IllegalArgumentException("Attention: dim " + dim + " not divisible by heads " + heads);
        if (qkvBias && qvBias) throw new IllegalArgumentException("Attention: qkvBias and qvBias are exclusive");
        this.dim = dim;
        this.heads = heads;
        this.scale = (float) Math.pow(dim / heads, -0.5);
        this.qkv = module("qkv", new Linear(backend, dim, 3 * dim, qkvBias, rng));
        if (qvBias) {
            qBias = parameter("q_bias", Tensor.zeros(backend, dim));
            vBias = parameter("v_bias", Tensor.zeros(backend, dim));
            kBiasZero = Tensor.zeros(backend, dim);
        } else {
            qBias = vBias = null;
            kBiasZero = null;
        }
        this.proj = module("proj", new Linear(backend, dim, dim, true, rng));
    }

    /** x [N, T, D] → [N, T, D]. */
    public Tensor forward(Tensor x) {
        int n = x.dim(0), t = x.dim(1), dh = dim / heads;
        Tensor bias = qBias == null
                ? (qkv.bias() == null ? null : qkv.bias().tensor())
                : Tensor.concat(0, qBias.tensor(), kBiasZero, vBias.tensor());   // [q_bias | 0 | v_bias]
        Tensor qkvOut = x.linear(qkv.weight().tensor(), bias)                    // [N, T, 3D]
                .reshape(n, t, 3, heads, dh)                                     // [N, T, 3, h, D/h]
                .permute(2, 0, 3, 1, 4)                                          // [3, N, h, T, D/h]
                .contiguous();
        Tensor q = qkvOut.narrow(0, 0, 1).reshape(n, heads, t, dh);              // [N, h, T, D/h]
        Tensor k = qkvOut.narrow(0, 1, 1).reshape(n, heads, t, dh);
        Tensor v = qkvOut.narrow(0, 2, 1).reshape(n, heads, t, dh);
        Tensor o = Tensor.attention(q, k, v, scale)                              // [N, h, T, D/h]
                .transpose(1, 2)                                                 // [N, T, h, D/h]
                .reshape(n, t, dim);                                             // [N, T, D]  heads concatenated
        return proj.forward(o);
    }

    public Linear qkv() {
        return qkv;
    }

    public Linear proj() {
        return proj;
    }
}
