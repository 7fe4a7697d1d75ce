package dev.tessera.cae;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;

/**
 * The regressor's multi-head cross-attention (official {@code CrossAttention} in modeling_cae_helper.py,
 * docs/cae.md#regressor): queries from one sequence, keys and values from another.
 * <pre>
 *   q = xq·W_qᵀ + q_bias      k = xk·W_kᵀ (no bias)      v = xv·W_vᵀ + v_bias       three separate D×D matrices
 *   o = softmax(q·kᵀ·(D/h)^−½)·v   per head (one fused op; Lq = M queries, Lk = Nv + M keys)
 *   out = concat heads · W_projᵀ + b_proj
 * </pre>
 * Names are the checkpoint's: {@code q.weight}, {@code k.weight}, {@code v.weight}, {@code q_bias},
 * {@code v_bias}, {@code proj.*}. The k bias is fixed at zero, as in BEiT's self-attention.
 */
public final class CrossAttention extends Module {
    private final int heads;
    private final float scale;
    private final Linear q, k, v, proj;
    private final Parameter qBias, vBias;

    /** @param qvBias learnable q_bias and v_bias (the official qkv_bias=True); none otherwise */
    public CrossAttention(Backend backend, int dim, int heads, boolean qvBias, Rng rng) {
        if (dim % heads != 0) throw new IllegalArgumentException("CrossAttention: dim " + dim + " not divisible by heads " + heads);
        this.heads = heads;
        this.scale = (float) Math.pow(dim / heads, -0.5);
        this.q = module("q", new Linear(backend, dim, dim, false, rng));
        this.k = module("k", new Linear(backend, dim, dim, false, rng));
        this.v = module("v", new Linear(backend, dim, dim, false, rng));
        this.qBias = qvBias ? parameter("q_bias", Tensor.zeros(backend, dim)) : null;
        this.vBias = qvBias ? parameter("v_bias", Tensor.zeros(backend, dim)) : null;
        this.proj = module("proj", new Linear(backend, dim, dim, true, rng));
    }

    /** xq [N, Lq, D], xk and xv [N, Lk, D] → [N, Lq, D]. */
    public Tensor forward(Tensor xq, Tensor xk, Tensor xv) {
        Tensor qt = xq.linear(q.weight().tensor(), qBias == null ? null : qBias.tensor());  // [N, Lq, D]
        Tensor kt = xk.linear(k.weight().tensor(), null);                                   // [N, Lk, D]
        Tensor vt = xv.linear(v.weight().tensor(), vBias == null ? null : vBias.tensor());  // [N, Lk, D]
        // Token-major: heads are head-major slices of D (the official reshape(B, N, h, D/h).permute(0, 2, 1, 3)),
        // read in place; the output is the heads concatenated, [N, Lq, D], with no split or merge copy.
        return proj.forward(Tensor.attention(qt, kt, vt, heads, scale));
    }

    public Linear proj() {
        return proj;
    }
}
