package dev.tessera.cae;

import dev.tessera.vit.PosEmbed2d;
import dev.tessera.vit.ViTConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Context Autoencoder as data (Chen et al. 2022; official {@code ContextAutoencoderViT} arguments, docs/cae.md).
 *
 * <p>Field notes (official argument names in brackets):
 * <ul>
 *   <li>{@code encoder}: the BEiT-style ViT ({@code qvBias}, {@code layerScaleInit} [layer_scale_init_value],
 *       {@code dropPath} [drop_path]). It is normalised to a pretraining encoder (no head, final norm, fixed
 *       position table) in CAE's sin-cos order (docs/vit.md#position-embedding), so official checkpoints load bit-compatibly.</li>
 *   <li>{@code regressorDepth} [regressor_depth], {@code decoderDepth} [decoder_depth]; both necks run at
 *       width {@code decoderDim} [decoder_embed_dim] with {@code decoderHeads} [decoder_num_heads] and the
 *       encoder's MLP ratio, LayerScale {@code decoderLayerScaleInit} [decoder_layer_scale_init_value] and the
 *       encoder's drop-path rate (spread linearly over each stack). When decoderDim ≠ D the model adds the
 *       official {@code encoder_to_regresser} Linear + LN.</li>
 *   <li>{@code numMasked}: M, masked patches per image, exactly [num_mask_patches].</li>
 *   <li>{@code alignWeight}: λ in loss = loss_main + λ·MSE(Ẑm, teacher) [align_loss_weight], 2.</li>
 *   <li>{@code target}, {@code vocabSize}: what the decoder head predicts ({@link CaeTarget}); the head is
 *       Linear(Dd → vocabSize) for TOKENS and Linear(Dd → p²·C) for PIXELS (vocabSize is then unused).</li>
 *   <li>{@code masking}: BLOCK [--mask_generator block] or RANDOM.</li>
 *   <li>{@code fixInitWeight} [--fix_init_weight]: false (the Base scripts) re-initialises every Linear to
 *       xavier_uniform after the BEiT init; true keeps BEiT's truncated normal with the per-block rescale
 *       (docs/cae.md#initialisation).</li>
 *   <li>{@code patchEmbedInit}: the patch-embedding conv's init ({@link PatchEmbedInit}); BEIT is the official
 *       rule and the default, XAVIER the small-patch preset's.</li>
 * </ul>
 *
 * <p>Small configurations for tests and goldens: {@code CaeConfig.of(ViTConfig.of(28, 4, 1, 32, 2, 2)
 * .withQvBias(true).withLayerScale(0.1), 2, 1, 32, 2)} — regressor 2, decoder 1, width 32, 2 heads.
 */
public record CaeConfig(
        String name,
        ViTConfig encoder,
        int regressorDepth,
        int decoderDepth,
        int decoderDim,
        int decoderHeads,
        double decoderLayerScaleInit,
        int numMasked,
        double alignWeight,
        CaeTarget target,
        int vocabSize,
        CaeMaskGenerator.Kind masking,
        boolean fixInitWeight,
        PatchEmbedInit patchEmbedInit) {

    public CaeConfig {
        if (name == null || name.isBlank()) name = "custom";
        if (encoder == null) throw new IllegalArgumentException(name + ": encoder config is required");
        encoder = encoder.asEncoder().withPosOrder(PosEmbed2d.Order.CAE);
        if (decoderDim <= 0 || decoderHeads <= 0 || decoderDim % decoderHeads != 0 || decoderDim % 4 != 0) {
            throw new IllegalArgumentException(name + ": decoder dim " + decoderDim + " must be divisible by 4 and by heads " + decoderHeads);
        }
        if (regressorDepth < 1) throw new IllegalArgumentException(name + ": regressor depth " + regressorDepth + " < 1");
        if (decoderDepth < 1) throw new IllegalArgumentException(name + ": decoder depth " + decoderDepth + " < 1");
        if (decoderLayerScaleInit < 0) throw new IllegalArgumentException(name + ": decoder LayerScale " + decoderLayerScaleInit + " < 0");
        int l = encoder.numPatches();
        if (numMasked < 1 || numMasked >= l) {
            throw new IllegalArgumentException(name + ": numMasked " + numMasked + " must be in [1, " + (l - 1) + "] for "
                    + l + " patches (CAE needs visible and masked patches)");
        }
        if (!(alignWeight >= 0)) throw new IllegalArgumentException(name + ": align weight " + alignWeight + " < 0");
        if (target == null) target = CaeTarget.PIXELS;
        if (target == CaeTarget.TOKENS && vocabSize < 2) {
            throw new IllegalArgumentException(name + ": token target needs a vocabulary of at least 2, got " + vocabSize);
        }
        if (masking == null) masking = CaeMaskGenerator.Kind.BLOCK;
        // A configuration written before the field existed (config.json of an older run) was built with the official rule.
        if (patchEmbedInit == null) patchEmbedInit = PatchEmbedInit.BEIT;
    }

    /**
     * The official constructor's defaults around a given encoder and neck: decoder LayerScale = the encoder's,
     * M = round(L/2) (98 of 196, 24 of 49), λ = 2, pixel target (vocabulary 8192 kept for a switch to tokens),
     * block masking, xavier re-init.
     */
    public static CaeConfig of(ViTConfig encoder, int regressorDepth, int decoderDepth, int decoderDim, int decoderHeads) {
        return new CaeConfig("custom", encoder, regressorDepth, decoderDepth, decoderDim, decoderHeads,
                encoder.layerScaleInit(), CaeMaskGenerator.defaultNumMasked(encoder.numPatches()), 2.0,
                CaeTarget.PIXELS, 8192, CaeMaskGenerator.Kind.BLOCK, false, PatchEmbedInit.BEIT);
    }

    // ------------------------------------------------------------------ derived sizes

    /** L, patches per image. */
    public int numPatches() {
        return encoder.numPatches();
    }

    /** Nv = L − M visible patches. */
    public int numVisible() {
        return numPatches() - numMasked;
    }

    /** Output width of the decoder head: the vocabulary (TOKENS) or p²·C (PIXELS). */
    public int headDim() {
        return target == CaeTarget.TOKENS ? vocabSize : encoder.patchDim();
    }

    /** MLP hidden width of the regressor and decoder blocks: int(Dd·mlp_ratio), the encoder's ratio. */
    public int decoderMlpHidden() {
        return (int) (decoderDim * encoder.mlpRatio());
    }

    /** Whether the official encoder_to_regresser Linear + LN exists (decoder width ≠ encoder width). */
    public boolean hasProjection() {
        return decoderDim != encoder.dim();
    }

    /** The mask generator for this config's grid, M and masking kind. */
    public CaeMaskGenerator maskGenerator() {
        return new CaeMaskGenerator(masking, encoder.gridSize(), numMasked);
    }

    // ------------------------------------------------------------------ variants

    public CaeConfig withName(String n) {
        return new CaeConfig(n, encoder, regressorDepth, decoderDepth, decoderDim, decoderHeads, decoderLayerScaleInit,
                numMasked, alignWeight, target, vocabSize, masking, fixInitWeight, patchEmbedInit);
    }

    public CaeConfig withEncoder(ViTConfig e) {
        return new CaeConfig(name, e, regressorDepth, decoderDepth, decoderDim, decoderHeads, decoderLayerScaleInit,
                numMasked, alignWeight, target, vocabSize, masking, fixInitWeight, patchEmbedInit);
    }

    /** Regressor depth, decoder depth, and their shared width and heads. */
    public CaeConfig withNeck(int regDepth, int decDepth, int dim, int heads) {
        return new CaeConfig(name, encoder, regDepth, decDepth, dim, heads, decoderLayerScaleInit,
                numMasked, alignWeight, target, vocabSize, masking, fixInitWeight, patchEmbedInit);
    }

    public CaeConfig withDecoderLayerScale(double init) {
        return new CaeConfig(name, encoder, regressorDepth, decoderDepth, decoderDim, decoderHeads, init,
                numMasked, alignWeight, target, vocabSize, masking, fixInitWeight, patchEmbedInit);
    }

    public CaeConfig withNumMasked(int m) {
        return new CaeConfig(name, encoder, regressorDepth, decoderDepth, decoderDim, decoderHeads, decoderLayerScaleInit,
                m, alignWeight, target, vocabSize, masking, fixInitWeight, patchEmbedInit);
    }

    public CaeConfig withAlignWeight(double w) {
        return new CaeConfig(name, encoder, regressorDepth, decoderDepth, decoderDim, decoderHeads, decoderLayerScaleInit,
                numMasked, w, target, vocabSize, masking, fixInitWeight, patchEmbedInit);
    }

    /** Normalised-pixel target (head Linear(Dd → p²·C), MSE). */
    public CaeConfig withPixelTarget() {
        return new CaeConfig(name, encoder, regressorDepth, decoderDepth, decoderDim, decoderHeads, decoderLayerScaleInit,
                numMasked, alignWeight, CaeTarget.PIXELS, vocabSize, masking, fixInitWeight, patchEmbedInit);
    }

    /** Token target over {@code vocab} ids (head Linear(Dd → vocab), cross-entropy). */
    public CaeConfig withTokenTarget(int vocab) {
        return new CaeConfig(name, encoder, regressorDepth, decoderDepth, decoderDim, decoderHeads, decoderLayerScaleInit,
                numMasked, alignWeight, CaeTarget.TOKENS, vocab, masking, fixInitWeight, patchEmbedInit);
    }

    public CaeConfig withMasking(CaeMaskGenerator.Kind k) {
        return new CaeConfig(name, encoder, regressorDepth, decoderDepth, decoderDim, decoderHeads, decoderLayerScaleInit,
                numMasked, alignWeight, target, vocabSize, k, fixInitWeight, patchEmbedInit);
    }

    public CaeConfig withPatchEmbedInit(PatchEmbedInit init) {
        return new CaeConfig(name, encoder, regressorDepth, decoderDepth, decoderDim, decoderHeads, decoderLayerScaleInit,
                numMasked, alignWeight, target, vocabSize, masking, fixInitWeight, init);
    }

    public CaeConfig withFixInitWeight(boolean on) {
        return new CaeConfig(name, encoder, regressorDepth, decoderDepth, decoderDim, decoderHeads, decoderLayerScaleInit,
                numMasked, alignWeight, target, vocabSize, masking, on, patchEmbedInit);
    }

    // ------------------------------------------------------------------ presets

    private static final Map<String, CaeConfig> PRESETS = new LinkedHashMap<>();

    private static void add(CaeConfig c) {
        PRESETS.put(c.name(), c);
    }

    /** A BEiT-style pretraining encoder from a ViT preset: q/v bias, LayerScale, drop-path, CAE position order. */
    private static ViTConfig beitEncoder(String vitPreset, String name, double layerScale, double dropPath) {
        return ViTConfig.preset(vitPreset).asEncoder().withName(name).withQvBias(true).withLayerScale(layerScale)
                .withDropPath(dropPath).withPosOrder(PosEmbed2d.Order.CAE);
    }

    static {
        // scripts/cae_base_{300,800,1600}e.sh: cae_base_patch16_224_8k_vocab, LayerScale 0.1 (encoder and neck),
        // drop-path 0.1, block masking of 98 patches, regressor 4 + decoder 4 at 768 wide with 12 heads,
        // align_loss_weight 2, DALL-E tokens (8192), xavier re-init (no --fix_init_weight).
        // Trainable parameters 148,681,472 (docs/cae.md#parameter-counts).
        add(new CaeConfig("cae-vit-base-patch16", beitEncoder("vit-base-patch16", "cae-vit-base-patch16-encoder", 0.1, 0.1),
                4, 4, 768, 12, 0.1, 98, 2.0, CaeTarget.TOKENS, 8192, CaeMaskGenerator.Kind.BLOCK, false, PatchEmbedInit.BEIT));
        // scripts/cae_large_1600e.sh AS INTENDED. The script lacks a line-continuation backslash after
        // "--align_loss_weight 2", so as written its last three flags never reach the trainer and the run gets
        // the defaults (neck 768 wide, 12 heads, xavier re-init) — docs/cae.md#pretraining-recipe. We follow the flags the authors
        // wrote: neck width 1024 with 16 heads and --fix_init_weight (BEiT init kept); LayerScale 1e-5.
        add(new CaeConfig("cae-vit-large-patch16", beitEncoder("vit-large-patch16", "cae-vit-large-patch16-encoder", 1e-5, 0.1),
                4, 4, 1024, 16, 1e-5, 98, 2.0, CaeTarget.TOKENS, 8192, CaeMaskGenerator.Kind.BLOCK, true, PatchEmbedInit.BEIT));
        // The CPU preset for Fashion-MNIST, docs/baselines.md "CAE tiny": the encoder of `mae-tiny` / `vit-tiny-28`
        // (28×28×1, patch 4 → 7×7 = 49 patches, width 192, 12 blocks, 3 heads) in BEiT style; regressor 4 +
        // decoder 2 at width 192 with 3 heads; M = 24 of 49 (the official 50%, round(24.5) = 24 half-to-even;
        // 25 visible, so the encoder sequence is 26); normalised-pixel target (no tokenizer needed); the official
        // LayerScale 0.1 and drop-path 0.1. Switching to tokens (withTokenTarget) defaults to a 512-id k-means
        // codebook (KMeansTokenizer) — 512 is ample for 16-value patches and keeps the head small.
        // One deviation: the patch embedding starts xavier_uniform (as MAE's), not CAE's trunc-normal ±0.02. With a
        // 16-value patch the official rule makes the content part of a token ~7× weaker than at ViT-B/16 next to the
        // same position table; the encoder's output then starts, and stays, nearly image-independent — the same in
        // Tessera and in a PyTorch reference, and such an encoder does not fine-tune (docs/cae.md#initialisation).
        add(new CaeConfig("cae-tiny", beitEncoder("vit-tiny-28", "cae-tiny-encoder", 0.1, 0.1),
                4, 2, 192, 3, 0.1, 24, 2.0, CaeTarget.PIXELS, 512, CaeMaskGenerator.Kind.BLOCK, false, PatchEmbedInit.XAVIER));
    }

    /** The preset called {@code name}; the error lists every valid name. */
    public static CaeConfig preset(String name) {
        CaeConfig c = PRESETS.get(name);
        if (c == null) {
            throw new IllegalArgumentException("unknown CAE preset '" + name + "'; valid: " + String.join(", ", presetNames()));
        }
        return c;
    }

    public static List<String> presetNames() {
        return new ArrayList<>(PRESETS.keySet());
    }
}
