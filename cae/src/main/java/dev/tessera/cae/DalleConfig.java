package dev.tessera.cae;

import java.util.Map;

/**
 * The size of OpenAI's DALL-E dVAE encoder ({@code dall_e/encoder.py}, {@code Encoder}): four groups of
 * {@code blocksPerGroup} residual blocks at widths n_hid·(1, 2, 4, 8), a 2×2 max-pool after each of the first three
 * groups, so an image of 8g×8g pixels gives g×g cells of {@code vocabSize} logits. The group count is fixed at 4:
 * the official class hard-codes {@code group_1} … {@code group_4}.
 *
 * @param nHid           the first group's width (official 256; its attrs validator wants ≥ 64, Tessera only ≥ 4,
 *                       a multiple of 4, so that the tests can build small copies)
 * @param blocksPerGroup residual blocks per group (official 2)
 * @param inputChannels  image channels (official 3)
 * @param vocabSize      token ids (official 8192)
 */
public record DalleConfig(int nHid, int blocksPerGroup, int inputChannels, int vocabSize) {
    /** Groups of blocks; the official encoder's {@code group_count}. */
    public static final int GROUPS = 4;
    /** Pixels per token cell along each axis: three 2×2 pools. */
    public static final int DOWNSAMPLE = 8;

    public DalleConfig {
        if (nHid < 4 || nHid % 4 != 0) throw new IllegalArgumentException("DALL-E encoder: n_hid must be a positive multiple of 4, got " + nHid);
        if (blocksPerGroup < 1) throw new IllegalArgumentException("DALL-E encoder: n_blk_per_group must be >= 1, got " + blocksPerGroup);
        if (inputChannels < 1) throw new IllegalArgumentException("DALL-E encoder: input_channels must be >= 1, got " + inputChannels);
        if (vocabSize < 2) throw new IllegalArgumentException("DALL-E encoder: vocab_size must be >= 2, got " + vocabSize);
    }

    /** The released encoder ({@code https://cdn.openai.com/dall-e/encoder.pkl}): 256, 2, 3, 8192. */
    public static DalleConfig official() {
        return new DalleConfig(256, 2, 3, 8192);
    }

    /**
     * Reads the size off a state dict's shapes: {@code blocks.input.w} is [n_hid, C, 7, 7],
     * {@code blocks.output.conv.w} [vocab, 8·n_hid, 1, 1], and the blocks of group 1 are counted.
     */
    public static DalleConfig fromShapes(Map<String, int[]> shapes) {
        int[] in = shapes.get("blocks.input.w"), out = shapes.get("blocks.output.conv.w");
        if (in == null || out == null || in.length != 4 || out.length != 4) {
            throw new IllegalArgumentException("not a DALL-E encoder state dict: it needs blocks.input.w [n_hid, C, 7, 7] and"
                    + " blocks.output.conv.w [vocab, 8·n_hid, 1, 1] (keys seen: " + shapes.keySet().stream().limit(6).toList() + ", …)");
        }
        int blocks = 0;
        while (shapes.containsKey("blocks.group_1.block_" + (blocks + 1) + ".res_path.conv_1.w")) blocks++;
        return new DalleConfig(in[0], blocks, in[1], out[0]);
    }

    /** Residual-path gain 1/n_layers² with n_layers = group_count · n_blk_per_group (EncoderBlock.post_gain). */
    public float postGain() {
        int layers = GROUPS * blocksPerGroup;
        return 1f / (layers * layers);
    }
}
