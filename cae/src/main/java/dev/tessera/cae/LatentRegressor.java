package dev.tessera.cae;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Block;
import dev.tessera.vit.ViTConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * CAE's latent contextual regressor (official {@code LatentRegresser}, docs/cae.md#regressor): predicts the latents of the
 * masked patches from the visible latents, without ever updating the visible ones. Each block's keys and
 * values are [Zv; current queries]; after the last block a final LN gives Ẑm.
 *
 * <p>Names: {@code regressor_blocks.i.*} and {@code norm.*}; the model registers this module as
 * {@code regresser} (the official spelling). Drop-path rates rise linearly over the blocks, 0 to the
 * encoder's rate.
 */
public final class LatentRegressor extends Module {
    private final List<RegressorBlock> blocks = new ArrayList<>();
    private final LayerNorm norm;

    public LatentRegressor(CaeConfig config, Backend backend, Rng rng) {
        ViTConfig enc = config.encoder();
        boolean qvBias = enc.qvBias() || enc.qkvBias();          // the official flag qkv_bias means q_bias + v_bias
        double[] dpr = Block.dropPathRates(enc.dropPath(), config.regressorDepth());
        for (int i = 0; i < config.regressorDepth(); i++) {
            blocks.add(module("regressor_blocks." + i, new RegressorBlock(backend, config.decoderDim(), config.decoderHeads(),
                    config.decoderMlpHidden(), qvBias, config.decoderLayerScaleInit(), dpr[i], rng)));
        }
        this.norm = module("norm", new LayerNorm(backend, config.decoderDim(), ViTConfig.LN_EPS));
    }

    /**
     * @param xm   mask queries [N, M, Dd] (mask_token repeated)
     * @param zv   visible latents [N, Nv, Dd] (fixed: keys/values only)
     * @param posM position rows of the masked patches [N, M, Dd]
     * @param posV position rows of the visible patches [N, Nv, Dd]
     * @return Ẑm [N, M, Dd], after the final LN
     */
    public Tensor forward(Tensor xm, Tensor zv, Tensor posM, Tensor posV) {
        Tensor posKv = Tensor.concat(1, posV, posM);                          // [N, Nv+M, Dd]
        for (RegressorBlock b : blocks) xm = b.forward(xm, Tensor.concat(1, zv, xm), posM, posKv);
        return norm.forward(xm);
    }

    public List<RegressorBlock> blocks() {
        return Collections.unmodifiableList(blocks);
    }
}
