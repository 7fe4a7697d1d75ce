package dev.tessera.cae;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Mlp;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.ops.ScaledResidual;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.ViTConfig;

/**
 * One block of CAE's latent contextual regressor (official {@code RegressorBlock}, docs/cae.md#regressor). Cross-attention
 * only: the mask queries attend to [visible latents; current queries]; positions are added to queries and
 * keys but not to values.
 * <pre>
 *   a = CrossAttn( norm1_q(Xq + pos_m),  norm1_k(Xkv + pos_kv),  norm1_v(Xkv) )      Xkv = [Zv; Xq]
 *   X = Xq + DropPath(gamma_1_cross ⊙ a)
 *   X = norm2_cross(X)                      ← post-norm of the residual stream (unusual; reproduced exactly)
 *   X = X + DropPath(gamma_2_cross ⊙ mlp_cross(X))
 * </pre>
 * Without LayerScale the official block still has {@code gamma_1_cross}/{@code gamma_2_cross}, fixed at ones
 * ({@code requires_grad=False}); we keep them as frozen parameters so the checkpoint names match.
 * LN eps 1e-6.
 */
public final class RegressorBlock extends Module {
    private final LayerNorm norm1Q, norm1K, norm1V, norm2Cross;
    private final CrossAttention crossAttn;
    private final Mlp mlpCross;
    private final Parameter gamma1, gamma2;
    private final float dropPath;
    private final Rng rng;

    /**
     * @param layerScaleInit γ's initial value (CAE-B 0.1, CAE-L 1e-5); 0 gives frozen ones
     * @param dropPath       this block's drop-path rate
     * @param rng            initialises the weights and is kept to draw the drop-path masks
     */
    public RegressorBlock(Backend backend, int dim, int heads, int mlpHidden, boolean qvBias, double layerScaleInit,
                          double dropPath, Rng rng) {
        this.norm1Q = module("norm1_q", new LayerNorm(backend, dim, ViTConfig.LN_EPS));
        this.norm1K = module("norm1_k", new LayerNorm(backend, dim, ViTConfig.LN_EPS));
        this.norm1V = module("norm1_v", new LayerNorm(backend, dim, ViTConfig.LN_EPS));
        this.norm2Cross = module("norm2_cross", new LayerNorm(backend, dim, ViTConfig.LN_EPS));
        this.crossAttn = module("cross_attn", new CrossAttention(backend, dim, heads, qvBias, rng));
        this.mlpCross = module("mlp_cross", new Mlp(backend, dim, mlpHidden, rng));
        float g = layerScaleInit > 0 ? (float) layerScaleInit : 1f;
        this.gamma1 = parameter("gamma_1_cross", Tensor.full(backend, g, dim));
        this.gamma2 = parameter("gamma_2_cross", Tensor.full(backend, g, dim));
        if (layerScaleInit <= 0) {
            gamma1.setTrainable(false);
            gamma2.setTrainable(false);
        }
        this.dropPath = (float) dropPath;
        this.rng = rng;
    }

    /**
     * @param xq    mask-query states [N, M, Dd]
     * @param xkv   keys/values [N, Nv+M, Dd] = [Zv; Xq]
     * @param posQ  position rows of the masked patches [N, M, Dd]
     * @param posKv position rows of [visible; masked] [N, Nv+M, Dd]
     * @return the updated query states [N, M, Dd]
     */
    public Tensor forward(Tensor xq, Tensor xkv, Tensor posQ, Tensor posKv) {
        Tensor a = crossAttn.forward(norm1Q.forward(xq.add(posQ)),      // queries: + pos
                norm1K.forward(xkv.add(posKv)),                         // keys:    + pos
                norm1V.forward(xkv));                                   // values:  no pos
        Tensor x = ScaledResidual.add(xq, a, gamma1.tensor(), dropPath, rng, isTraining());
        x = norm2Cross.forward(x);                                      // post-norm
        return ScaledResidual.add(x, mlpCross.forward(x), gamma2.tensor(), dropPath, rng, isTraining());
    }

    public CrossAttention crossAttn() {
        return crossAttn;
    }

    /** The MLP's second Linear, which BEiT's init rescales. */
    Linear mlpFc2() {
        return mlpCross.fc2();
    }
}
