package dev.tessera.vit;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Mlp;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.ops.ScaledResidual;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;

/**
 * One pre-norm transformer block, timm's {@code Block} (MAE) or BEiT's (CAE), docs/vit.md#block:
 * <pre>
 *   y   = x + DropPath(γ1 ⊙ Attn(LN1(x)))
 *   out = y + DropPath(γ2 ⊙ MLP(LN2(y)))          MLP = fc1 → exact GELU → fc2
 * </pre>
 * γ1, γ2 ({@code gamma_1}, {@code gamma_2}, D-vectors) exist only with LayerScale (init &gt; 0); LN eps is 1e-6.
 * Drop-path drops the whole residual branch per sample during training (timm {@code drop_path}).
 * Names: {@code norm1}, {@code attn.qkv}, {@code attn.proj}, {@code norm2}, {@code mlp.fc1}, {@code mlp.fc2}.
 */
public final class Block extends Module {
    private final LayerNorm norm1, norm2;
    private final Attention attn;
    private final Mlp mlp;
    private final Parameter gamma1, gamma2;
    private final float dropPath;
    private final Rng rng;

    /**
     * @param layerScaleInit 0 for none, else γ's initial value (CAE-B 0.1, CAE-L 1e-5)
     * @param dropPath       this block's drop-path rate
     * @param rng            initialises the weights and is kept to draw the drop-path masks
     */
    public Block(Backend backend, int dim, int heads, int mlpHidden, boolean qkvBias, boolean qvBias,
                 double layerScaleInit, double dropPath, Rng rng) {
        this(backend, dim, heads, mlpHidden, qkvBias, qvBias, 0, layerScaleInit, dropPath, rng);
    }

    /** @param relPosGrid G for BEiT's relative position bias in this block's attention, 0 for none ({@link Attention}) */
    public Block(Backend backend, int dim, int heads, int mlpHidden, boolean qkvBias, boolean qvBias, int relPosGrid,
                 double layerScaleInit, double dropPath, Rng rng) {
        this.norm1 = module("norm1", new LayerNorm(backend, dim, ViTConfig.LN_EPS));
        this.attn = module("attn", new Attention(backend, dim, heads, qkvBias, qvBias, relPosGrid, rng));
        this.norm2 = module("norm2", new LayerNorm(backend, dim, ViTConfig.LN_EPS));
        this.mlp = module("mlp", new Mlp(backend, dim, mlpHidden, rng));
        if (layerScaleInit > 0) {
            gamma1 = parameter("gamma_1", Tensor.full(backend, (float) layerScaleInit, dim));
            gamma2 = parameter("gamma_2", Tensor.full(backend, (float) layerScaleInit, dim));
        } else {
            gamma1 = gamma2 = null;
        }
        this.dropPath = (float) dropPath;
        this.rng = rng;
    }

    /** A block of {@code cfg}'s width with drop-path rate {@code dropPath}. */
    public static Block of(ViTConfig cfg, double dropPath, Backend backend, Rng rng) {
        return new Block(backend, cfg.dim(), cfg.heads(), cfg.mlpHidden(), cfg.qkvBias(), cfg.qvBias(),
                cfg.relPosBias() ? cfg.gridSize() : 0, cfg.layerScaleInit(), dropPath, rng);
    }

    /** x [N, T, D] → [N, T, D]. */
    public Tensor forward(Tensor x) {
        // x + drop_path(gamma ⊙ branch), each residual one op (ScaledResidual: one pass instead of three).
        Tensor a = attn.forward(norm1.forward(x));
        x = ScaledResidual.add(x, a, gamma1 == null ? null : gamma1.tensor(), dropPath, rng, isTraining());
        Tensor m = mlp.forward(norm2.forward(x));
        return ScaledResidual.add(x, m, gamma2 == null ? null : gamma2.tensor(), dropPath, rng, isTraining());
    }

    public Attention attn() {
        return attn;
    }

    public Mlp mlp() {
        return mlp;
    }

    public float dropPathRate() {
        return dropPath;
    }

    /**
     * The stochastic-depth rates of {@code depth} blocks: linspace(0, max, depth), i.e. block i gets
     * max·i/(depth−1) (timm {@code dpr}); a single block gets 0.
     */
    public static double[] dropPathRates(double max, int depth) {
        double[] r = new double[depth];
        for (int i = 0; i < depth; i++) r[i] = depth == 1 ? 0 : max * i / (depth - 1);
        return r;
    }
}
