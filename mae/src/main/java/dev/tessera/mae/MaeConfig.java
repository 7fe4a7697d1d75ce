package dev.tessera.mae;

import dev.tessera.vit.ViTConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An MAE as data (docs/mae.md): the ViT encoder, the lightweight decoder (width, depth, heads; its MLP ratio is
 * the encoder's, as in {@code models_mae.py}), the mask ratio, the loss target and the masking strategy.
 *
 * <p>The encoder is used as a pretraining encoder whatever {@code encoder} says about heads and pooling: no
 * classifier head, a final {@code norm}, fixed sin-cos position table ({@link ViTConfig#asEncoder()}).
 * Presets follow the official factories ({@code mae_vit_base_patch16_dec512d8b} …); small configurations
 * for tests and goldens are built with {@link #of}, e.g.
 * {@code MaeConfig.of(ViTConfig.of(28, 4, 1, 32, 2, 2), 16, 1, 2).withNormPixLoss(true)}.
 */
public record MaeConfig(
        String name,
        ViTConfig encoder,
        int decoderDim,
        int decoderDepth,
        int decoderHeads,
        double maskRatio,
        boolean normPixLoss,
        MaskingStrategy masking) {

    public MaeConfig {
        if (name == null || name.isBlank()) name = "custom";
        if (encoder == null) throw new IllegalArgumentException(name + ": encoder config is required");
        encoder = encoder.asEncoder();
        if (decoderDim <= 0 || decoderHeads <= 0 || decoderDim % decoderHeads != 0 || decoderDim % 4 != 0) {
            throw new IllegalArgumentException(name + ": decoder dim " + decoderDim + " must be divisible by 4 and by heads " + decoderHeads);
        }
        if (decoderDepth < 0) throw new IllegalArgumentException(name + ": decoder depth " + decoderDepth + " < 0");
        if (!(maskRatio >= 0 && maskRatio < 1)) throw new IllegalArgumentException(name + ": mask ratio " + maskRatio + " not in [0, 1)");
        if (masking == null) masking = MaskingStrategy.RANDOM;
    }

    /** The official constructor's defaults: mask 0.75, plain-pixel loss (norm_pix_loss=False), random masking. */
    public static MaeConfig of(ViTConfig encoder, int decoderDim, int decoderDepth, int decoderHeads) {
        return new MaeConfig("custom", encoder, decoderDim, decoderDepth, decoderHeads, 0.75, false, MaskingStrategy.RANDOM);
    }

    /** L, patches per image. */
    public int numPatches() {
        return encoder.numPatches();
    }

    /** len_keep = int(L·(1 − ratio)), truncating in double as Python's int() does (docs/mae.md#masking: 49 of 196). */
    public static int lenKeep(int numPatches, double maskRatio) {
        return (int) (numPatches * (1 - maskRatio));
    }

    /** len_keep at this config's mask ratio. */
    public int lenKeep() {
        return lenKeep(numPatches(), maskRatio);
    }

    public MaeConfig withName(String n) {
        return new MaeConfig(n, encoder, decoderDim, decoderDepth, decoderHeads, maskRatio, normPixLoss, masking);
    }

    public MaeConfig withMaskRatio(double r) {
        return new MaeConfig(name, encoder, decoderDim, decoderDepth, decoderHeads, r, normPixLoss, masking);
    }

    /** True: per-patch normalised pixel targets (better features); false: plain pixels (viewable reconstructions). */
    public MaeConfig withNormPixLoss(boolean on) {
        return new MaeConfig(name, encoder, decoderDim, decoderDepth, decoderHeads, maskRatio, on, masking);
    }

    public MaeConfig withMasking(MaskingStrategy m) {
        return new MaeConfig(name, encoder, decoderDim, decoderDepth, decoderHeads, maskRatio, normPixLoss, m);
    }

    public MaeConfig withEncoder(ViTConfig e) {
        return new MaeConfig(name, e, decoderDim, decoderDepth, decoderHeads, maskRatio, normPixLoss, masking);
    }

    public MaeConfig withDecoder(int dim, int depth, int heads) {
        return new MaeConfig(name, encoder, dim, depth, heads, maskRatio, normPixLoss, masking);
    }

    // ------------------------------------------------------------------ presets

    private static final Map<String, MaeConfig> PRESETS = new LinkedHashMap<>();

    private static void add(String name, String encoderPreset, int decDim, int decDepth, int decHeads) {
        ViTConfig enc = ViTConfig.preset(encoderPreset);
        PRESETS.put(name, new MaeConfig(name, enc, decDim, decDepth, decHeads, 0.75, true, MaskingStrategy.RANDOM));
    }

    static {
        // The paper's models (official factories *_dec512d8b): decoder 512 wide, 8 deep, 16 heads; 75% random
        // masking; normalised-pixel loss, as the released checkpoints and the PRETRAIN recipe use it.
        add("mae-vit-base-patch16", "vit-base-patch16", 512, 8, 16);
        add("mae-vit-large-patch16", "vit-large-patch16", 512, 8, 16);
        add("mae-vit-huge-patch14", "vit-huge-patch14", 512, 8, 16);
        // Not in the official repo: DeiT-S encoder with the same decoder, for the ViT-S/16 benchmark.
        add("mae-vit-small-patch16", "vit-small-patch16", 512, 8, 16);
        // The CPU default for Fashion-MNIST (28×28×1, patch 4 → 49 patches, 12 visible at 75%). Encoder = DeiT-Ti
        // width (192, 12 blocks, 3 heads) so it loads into `vit-tiny-28` for fine-tuning and probes; decoder
        // 128 wide, 2 deep, 4 heads (the paper's Table 1a/b show depth and width matter little for fine-tuning).
        // Sized for a 2-core CPU: it is the "MAE tiny" row of docs/baselines.md, which PyTorch trains at about
        // 130 img/s at batch 256, so one epoch of the 60k training images takes about 8–10 minutes.
        add("mae-tiny", "vit-tiny-28", 128, 2, 4);
    }

    /**
     * The preset called {@code name}; the error lists every valid name. The official factory names with their
     * decoder suffix ({@code mae-vit-base-patch16-dec512d8b}, as the paper's scripts and issue texts write them)
     * name the same presets: every paper preset has that decoder.
     */
    public static MaeConfig preset(String name) {
        String suffix = "-dec512d8b";
        MaeConfig c = PRESETS.get(name);
        if (c == null && name.endsWith(suffix)) {
            MaeConfig base = PRESETS.get(name.substring(0, name.length() - suffix.length()));
            if (base != null && base.decoderDim() == 512 && base.decoderDepth() == 8) c = base;
        }
        if (c == null) {
            throw new IllegalArgumentException("unknown MAE preset '" + name + "'; valid: " + String.join(", ", presetNames()));
        }
        return c;
    }

    public static List<String> presetNames() {
        return new ArrayList<>(PRESETS.keySet());
    }
}
