package dev.tessera.cae;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Block;
import dev.tessera.vit.ViTConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * CAE's decoder (official {@code Decoder} with decoder_depth &gt; 0, docs/cae.md#decoder): BEiT-style pre-norm
 * self-attention blocks over the M predicted latents only — no visible tokens, no cls — then LN and the head.
 * <pre>
 *   x = Ẑm + pos_m → decoder_blocks → norm → head       [N, M, Dd] → [N, M, K or p²·C]
 * </pre>
 * Names: {@code decoder_blocks.i.*} (same keys as the encoder's blocks), {@code norm.*}, {@code head.*}.
 */
public final class CaeDecoder extends Module {
    private final List<Block> blocks = new ArrayList<>();
    private final LayerNorm norm;
    private final Linear head;

    public CaeDecoder(CaeConfig config, Backend backend, Rng rng) {
        ViTConfig enc = config.encoder();
        int dd = config.decoderDim();
        double[] dpr = Block.dropPathRates(enc.dropPath(), config.decoderDepth());
        for (int i = 0; i < config.decoderDepth(); i++) {
            blocks.add(module("decoder_blocks." + i, new Block(backend, dd, config.decoderHeads(), config.decoderMlpHidden(),
                    enc.qkvBias(), enc.qvBias(), config.decoderLayerScaleInit(), dpr[i], rng)));
        }
        this.norm = module("norm", new LayerNorm(backend, dd, ViTConfig.LN_EPS));
        this.head = module("head", new Linear(backend, dd, config.headDim(), true, rng));
    }

    /** zmHat [N, M, Dd], posM [N, M, Dd] → predictions [N, M, headDim]. */
    public Tensor forward(Tensor zmHat, Tensor posM) {
        Tensor x = zmHat.add(posM);                 // + pos, like the encoder
        for (Block b : blocks) x = b.forward(x);    // self-attention among the masked tokens
        return head.forward(norm.forward(x));
    }

    public List<Block> blocks() {
        return Collections.unmodifiableList(blocks);
    }

    public Linear head() {
        return head;
    }
}
