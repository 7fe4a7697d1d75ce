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
 *   o   = softmax(q·kᵀ·(D/h)^−½)·v     per head (one fused op reading the heads straight from qkv)
 *   out = concat heads · W_projᵀ + b_proj
 * </pre>
 * Bias variants (names are the checkpoints'): timm {@code qkv.bias} [3D]; BEiT/CAE {@code q_bias} [D] and
 * {@code v_bias} [D] with the k part of the bias fixed at zero (so {@code qkv} has no bias); or none.
 * The fused qkv weight is initialised as ONE xavier matrix, bound √(6/(D+3D)) (MAE's {@code _init_weights}).
 *
 * <p>With a relative position bias (CAE fine-tuning, {@link RelativePositionBias}) the logits get
 * {@code + bias[h, T, T]} before the softmax, as in BEiT's {@code Attention.forward}. The fused attention op has
 * no bias input, so that path spells the attention out (q·kᵀ·scale + bias → softmax → ·v) with matmul and
 * softmax, which keeps the [T, T] probabilities — fine at fine-tuning lengths (197 tokens).
 */
public final class Attention extends Module {
    private final int dim, heads;
    private final float scale;
    private final Linear qkv, proj;
    private final Parameter qBias, vBias;
    private final Tensor kBiasZero;
    private final RelativePositionBias relPos;   // null without a relative position bias
    private final Parameter relPosTable;

    /**
     * @param qkvBias timm's bias on the fused qkv Linear
     * @param qvBias  BEiT's separate q_bias and v_bias (k bias fixed at 0); exclusive with qkvBias
     */
    public Attention(Backend backend, int dim, int heads, boolean qkvBias, boolean qvBias, Rng rng) {
        this(backend, dim, heads, qkvBias, qvBias, 0, rng);
    }

    /**
     * @param relPosGrid G of the G×G patch grid for BEiT's relative position bias, or 0 for none; the input
     *                   must then always be the cls token plus all G² patches
     */
    public Attention(Backend backend, int dim, int heads, boolean qkvBias, boolean qvBias, int relPosGrid, Rng rng) {
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
        if (relPosGrid < 0) throw new IllegalArgumentException("Attention: relPosGrid " + relPosGrid + " < 0");
        if (relPosGrid > 0) {
            relPos = new RelativePositionBias(backend, relPosGrid, heads);
            relPosTable = parameter("relative_position_bias_table", relPos.zeroTable(backend));
        } else {
            relPos = null;
            relPosTable = null;
        }
    }

    /** x [N, T, D] → [N, T, D]. */
    public Tensor forward(Tensor x) {
        int n = x.dim(0), t = x.dim(1), dh = dim / heads;
        Tensor bias = qBias == null
                ? (qkv.bias() == null ? null : qkv.bias().tensor())
                : Tensor.concat(0, qBias.tensor(), kBiasZero, vBias.tensor());   // [q_bias | 0 | v_bias]
        Tensor qkvOut = x.linear(qkv.weight().tensor(), bias);                   // [N, T, 3D]
        if (relPos == null) {
            // The fused op reads q, k, v as timm's reshape(N, T, 3, h, D/h) and writes the heads concatenated
            // ([N, T, D], timm's transpose(1, 2).reshape): no head split or merge copy, forward or backward.
            return proj.forward(qkvOut.selfAttention(heads, scale));
        }
        Tensor split = qkvOut.reshape(n, t, 3, heads, dh)                        // [N, T, 3, h, D/h]
                .permute(2, 0, 3, 1, 4)                                          // [3, N, h, T, D/h]
                .contiguous();
        Tensor q = split.narrow(0, 0, 1).reshape(n, heads, t, dh);               // [N, h, T, D/h]
        Tensor k = split.narrow(0, 1, 1).reshape(n, heads, t, dh);
        Tensor v = split.narrow(0, 2, 1).reshape(n, heads, t, dh);
        Tensor o = biased(q, k, v, t)                                            // [N, h, T, D/h]
                .transpose(1, 2)                                                 // [N, T, h, D/h]
                .reshape(n, t, dim);                                             // [N, T, D]  heads concatenated
        return proj.forward(o);
    }

    /** softmax(q·kᵀ·scale + bias)·v with BEiT's bias [h, T, T] broadcast over the batch. */
    private Tensor biased(Tensor q, Tensor k, Tensor v, int t) {
        if (t != relPos.tokens()) {
            throw new IllegalArgumentException("Attention: the relative position bias is for " + relPos.tokens()
                    + " tokens (cls + all patches), got " + t);
        }
        Tensor logits = q.matmul(k.transpose(2, 3)).mul(scale).add(relPos.bias(relPosTable.tensor()));  // [N, h, T, T]
        return logits.softmax(3).matmul(v);
    }

    /** The relative position bias table, or null when this attention has none. */
    public Parameter relativePositionBiasTable() {
        return relPosTable;
    }

    public Linear qkv() {
        return qkv;
    }

    public Linear proj() {
        return proj;
    }
}
