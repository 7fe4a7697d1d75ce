package dev.tessera.cae;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.ops.MaxPool2dOp;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;

/**
 * The encoder of OpenAI's DALL-E dVAE ({@code github.com/openai/DALL-E}, {@code dall_e/encoder.py Encoder}): the
 * tokenizer whose 8192-way ids of a 112×112 view are CAE's pretext target (CAE paper §3.2; BEiT §2.2), with the
 * official parameter names so the released weights load by key:
 * <pre>
 *   blocks.input                 7×7 conv, C → n_hid
 *   blocks.group_1.block_k       n_hid → n_hid,         then blocks.group_1.pool (2×2 max-pool)
 *   blocks.group_2.block_k       n_hid (k = 1) or 2·n_hid → 2·n_hid, pool
 *   blocks.group_3.block_k       … → 4·n_hid, pool
 *   blocks.group_4.block_k       … → 8·n_hid
 *   blocks.output                relu, then conv 1×1 8·n_hid → vocab_size
 * </pre>
 * Inputs are {@link #mapPixels mapped} pixels in [ε, 1 − ε]; the token id of a cell is the argmax of its logits
 * (CAE's and BEiT's {@code get_codebook_indices}).
 */
public final class DalleEncoder extends Module {
    /** dall_e/utils.py {@code logit_laplace_eps}. */
    public static final float LOGIT_LAPLACE_EPS = 0.1f;

    private final DalleConfig config;
    private final DalleConv input, output;
    private final DalleEncoderBlock[][] groups = new DalleEncoderBlock[DalleConfig.GROUPS][];

    public DalleEncoder(DalleConfig config, Backend backend, Rng rng) {
        this.config = config;
        DalleSequential blocks = module("blocks", new DalleSequential());
        int hid = config.nHid();
        this.input = blocks.add("input", new DalleConv(backend, config.inputChannels(), hid, 7, rng));
        int width = hid;
        for (int g = 0; g < DalleConfig.GROUPS; g++) {
            DalleSequential group = blocks.add("group_" + (g + 1), new DalleSequential());
            int out = hid << g;                                           // n_hid · (1, 2, 4, 8)
            groups[g] = new DalleEncoderBlock[config.blocksPerGroup()];
            for (int k = 0; k < groups[g].length; k++) {
                groups[g][k] = group.add("block_" + (k + 1), new DalleEncoderBlock(backend, width, out, config.postGain(), rng));
                width = out;
            }
        }
        this.output = blocks.add("output", new DalleSequential()).add("conv", new DalleConv(backend, width, config.vocabSize(), 1, rng));
    }

    public DalleConfig config() {
        return config;
    }

    /** dall_e/utils.py {@code map_pixels}: (1 − 2ε)·x + ε with ε = 0.1, for pixels x in [0, 1]. */
    public static float mapPixels(float x) {
        return (1 - 2 * LOGIT_LAPLACE_EPS) * x + LOGIT_LAPLACE_EPS;
    }

    /** Mapped images [N, C, 8g, 8g'] → logits [N, vocab, g, g']. */
    public Tensor forward(Tensor x) {
        if (x.rank() != 4 || x.dim(1) != config.inputChannels() || x.dim(2) % DalleConfig.DOWNSAMPLE != 0
                || x.dim(3) % DalleConfig.DOWNSAMPLE != 0) {
            throw new ShapeException("DALL-E encoder: input " + Shape.str(x.shape()) + " (expected [N, " + config.inputChannels()
                    + ", H, W] with H and W multiples of " + DalleConfig.DOWNSAMPLE + ")");
        }
        Tensor h = input.forward(x);
        for (int g = 0; g < DalleConfig.GROUPS; g++) {
            for (DalleEncoderBlock b : groups[g]) h = b.forward(h);
            if (g < DalleConfig.GROUPS - 1) h = MaxPool2dOp.maxPool2d(h, 2);
        }
        return output.forward(h.relu());
    }

    /** Token ids [N, g·g'] (raster order, as CAE flattens them) of mapped images [N, C, 8g, 8g'], without gradient. */
    public Tensor tokens(Tensor x) {
        try (var off = GradMode.noGrad()) {
            Tensor logits = forward(x);                                     // [N, vocab, g, g']
            int n = logits.dim(0), cells = logits.dim(2) * logits.dim(3);
            return logits.reshape(n, config.vocabSize(), cells).argmax(1);
        }
    }
}
