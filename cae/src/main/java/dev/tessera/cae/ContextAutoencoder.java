package dev.tessera.cae;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.ops.Loss;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Block;
import dev.tessera.vit.ModelSummary;
import dev.tessera.vit.Patchify;
import dev.tessera.vit.PosEmbed2d;
import dev.tessera.vit.ViTConfig;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Context Autoencoder (Chen et al., "Context Autoencoder for Self-Supervised Representation Learning", IJCV
 * 2023; arXiv 2202.03026), reading like the paper's pipeline: one method per stage (docs/cae.md#one-training-step).
 * <pre>
 *   encode            imgs, visible idx           → latent [N, 1+Nv, D]     (visible patches only, cls first)
 *   regress           Zv, masked idx, visible idx → Ẑm [N, M, Dd]           (mask queries cross-attend to Zv)
 *   decode            Ẑm, masked idx              → pred [N, M, K or p²·C]  (self-attention over masked only)
 *   alignmentTarget   imgs, masked idx            → Zm [N, M, Dd]           (SAME encoder, no grad, masked patches)
 *   loss = loss_main(pred, target) + λ·MSE(Ẑm, Zm)                          (λ = alignWeight = 2)
 * </pre>
 * Letters: N images, C channels, p patch size, G = H/p, L = G² patches, M masked (98 of 196 for CAE-B),
 * Nv = L − M visible, D encoder width, Dd regressor/decoder width, K vocabulary. Masks are per-sample boolean
 * arrays with exactly M true (= masked) cells; every gather uses them in raster order — masked rows and
 * visible rows each keep their spatial order, and labels, predictions and position rows share that order.
 * Nothing is shuffled (unlike MAE).
 *
 * <p>Parameter names are the official state_dict keys (Atten4Vis/CAE modeling_cae.py): {@code encoder.*}
 * ({@link CaeEncoder}), {@code encoder_to_regresser.*} and {@code encoder_to_regresser_norm.*} (only when
 * Dd ≠ D), {@code rd_pos_embed} [1, 1+L, Dd] (fixed, a buffer), {@code regresser.*} ({@link LatentRegressor}),
 * {@code mask_token} [1, 1, Dd], {@code decoder.*} ({@link CaeDecoder}). The official checkpoint also holds a
 * copy of the encoder under {@code alignment_encoder.*}; here the teacher IS the encoder (Atten4Vis shares the
 * storage; lxtGH copies it every step with momentum 0 — no EMA, lxtGH/CAE#10), so there is no copy to store.
 *
 * <p>Init (docs/cae.md#initialisation, CAE default): {@code cls_token}, {@code mask_token} and the patch-embed conv weight from a
 * truncated normal with std 0.02 cut at ±0.02 (absolute), conv bias 0 (the conv xavier_uniform instead with
 * {@link PatchEmbedInit#XAVIER}, the small-patch preset's choice); then every Linear (the fused qkv as one
 * [3D, D] matrix) xavier_uniform with bias 0, every LN 1/0; LayerScale γ = its init value; q_bias/v_bias 0.
 * With {@code fixInitWeight} the Linears keep BEiT's init instead: truncated normal (std 0.02, ±0.02) and each
 * block's attn/cross-attn {@code proj} and MLP {@code fc2} weights divided by √(2·layer), layer 1-based.
 */
public final class ContextAutoencoder extends Module {
    private static final float INIT_STD = 0.02f;

    private final CaeConfig config;
    private final Backend backend;
    private final Rng maskRng;
    private final CaeMaskGenerator maskGenerator;

    private final CaeEncoder encoder;
    private final Linear encoderToRegresser;             // Dd ≠ D only
    private final LayerNorm encoderToRegresserNorm;      // Dd ≠ D only
    private final Tensor rdPosEmbed;                     // [1, 1+L, Dd] fixed, CAE order
    private final LatentRegressor regresser;
    private final Parameter maskToken;                   // [1, 1, Dd]
    private final CaeDecoder decoder;

    /** Builds and initialises the model; {@code rng} draws the init and (through a fork) the masks. */
    public ContextAutoencoder(CaeConfig config, Backend backend, Rng rng) {
        this.config = config;
        this.backend = backend;
        this.maskRng = rng.fork(0x6D61736BL); // "mask": its own stream, so init order never shifts the masks
        this.maskGenerator = config.maskGenerator();
        ViTConfig enc = config.encoder();
        int d = enc.dim(), dd = config.decoderDim();

        this.encoder = module("encoder", new CaeEncoder(enc, backend, rng));
        if (config.hasProjection()) {
            // Linear + LN from the encoder width to the neck width (the idea of MAE's decoder_embed).
            this.encoderToRegresser = module("encoder_to_regresser", new Linear(backend, d, dd, true, rng));
            this.encoderToRegresserNorm = module("encoder_to_regresser_norm", new LayerNorm(backend, dd, ViTConfig.LN_EPS));
        } else {
            this.encoderToRegresser = null;
            this.encoderToRegresserNorm = null;
        }
        this.rdPosEmbed = buffer("rd_pos_embed", PosEmbed2d.tensor(backend, dd, enc.gridSize(), PosEmbed2d.Order.CAE));
        this.regresser = module("regresser", new LatentRegressor(config, backend, rng));
        this.maskToken = parameter("mask_token", Tensor.zeros(backend, 1, 1, dd));
        this.decoder = module("decoder", new CaeDecoder(config, backend, rng));
        initWeights(rng);
    }

    public CaeConfig config() {
        return config;
    }

    // ================================================================ masks

    /**
     * A batch of masks as index tensors, both int32 and in raster order: {@code visible} [N, Nv] and
     * {@code masked} [N, M]. Every sample must mask the same M (the fixed-count reshapes need it).
     */
    public record MaskIndices(Tensor visible, Tensor masked) {
        public int batch() {
            return masked.dim(0);
        }

        public int numMasked() {
            return masked.dim(1);
        }

        public int numVisible() {
            return visible.dim(1);
        }

        /** From per-sample boolean masks [N][L], true = masked. */
        public static MaskIndices of(Backend backend, boolean[][] masks) {
            int n = masks.length;
            if (n == 0) throw new IllegalArgumentException("MaskIndices: no masks");
            int l = masks[0].length, m = 0;
            for (boolean b : masks[0]) if (b) m++;
            if (m == 0 || m == l) throw new IllegalArgumentException("MaskIndices: sample 0 masks " + m + " of " + l
                    + " patches; CAE needs both visible and masked patches");
            // Both index sets in one array, one upload (the block masks are a host algorithm; their indices go up once).
            int[] both = new int[n * l];
            int vis0 = 0, msk0 = n * (l - m);
            for (int s = 0; s < n; s++) {
                if (masks[s].length != l) throw new IllegalArgumentException("MaskIndices: sample " + s + " has "
                        + masks[s].length + " cells, sample 0 has " + l);
                int iv = 0, im = 0;
                for (int i = 0; i < l; i++) {
                    if (masks[s][i]) {
                        if (im == m) throw new IllegalArgumentException("MaskIndices: sample " + s + " masks more than the "
                                + m + " patches of sample 0; every sample must mask the same number");
                        both[msk0 + s * m + im++] = i;
                    } else if (iv < l - m) {
                        both[vis0 + s * (l - m) + iv++] = i;
                    }
                }
                if (im != m) throw new IllegalArgumentException("MaskIndices: sample " + s + " masks " + im + " patches, sample 0 masks "
                        + m + "; every sample must mask the same number");
            }
            Tensor all = Tensor.ofInts(backend, both, n * l);
            return new MaskIndices(all.narrow(0, vis0, n * (l - m)).reshape(n, l - m), all.narrow(0, msk0, n * m).reshape(n, m));
        }

        /** From a float mask tensor [N, L] (1 = masked, 0 = visible), the golden files' {@code input.mask}. */
        public static MaskIndices of(Tensor mask) {
            if (mask.rank() != 2) throw new ShapeException("MaskIndices: expected a mask [N, L], got " + Shape.str(mask.shape()));
            float[] v = mask.toArray();
            int n = mask.dim(0), l = mask.dim(1);
            boolean[][] b = new boolean[n][l];
            for (int s = 0; s < n; s++) for (int i = 0; i < l; i++) b[s][i] = v[s * l + i] != 0f;
            return of(mask.backend(), b);
        }
    }

    /** N masks drawn with this config's generator (BLOCK or RANDOM, exactly M each) from the model's mask stream. */
    public boolean[][] sampleMasks(int n) {
        boolean[][] out = new boolean[n][];
        for (int s = 0; s < n; s++) out[s] = maskGenerator.next(maskRng);
        return out;
    }

    /** Rows {@code idx} [N, K] of a position table [1, 1+L, W] (cls row skipped) → [N, K, W]. */
    private static Tensor positionRows(Tensor table, Tensor idx) {
        int l = table.dim(1) - 1, w = table.dim(2), n = idx.dim(0), k = idx.dim(1);
        Tensor patchRows = table.narrow(1, 1, l).reshape(l, w);                // [L, W]  without the cls row
        return patchRows.gather(0, idx.reshape(n * k)).reshape(n, k, w);       // [N, K, W]
    }

    // ================================================================ encoder

    /**
     * The encoder on the visible patches (docs/cae.md#encoder): patch-embed all L, keep the visible rows in raster order,
     * prepend cls, add the CAE-order position rows (cls gets the zero row), blocks, final norm.
     *
     * @param images     [N, C, H, W]
     * @param visibleIdx [N, Nv] int32, ascending
     * @return latent [N, 1+Nv, D]; row 0 is cls
     */
    public Tensor encode(Tensor images, Tensor visibleIdx) {
        return encoder.forward(images, visibleIdx);
    }

    /** The official encoder_to_regresser Linear + LN when Dd ≠ D; the identity otherwise. [N, T, D] → [N, T, Dd]. */
    private Tensor toRegressorWidth(Tensor x) {
        return encoderToRegresser == null ? x : encoderToRegresserNorm.forward(encoderToRegresser.forward(x));
    }

    // ================================================================ regressor

    /**
     * The latent contextual regressor (docs/cae.md#regressor): M mask queries (all = mask_token) cross-attend to
     * [Zv; queries] block after block; positions on queries and keys only; final LN.
     *
     * @param zv         visible latents [N, Nv, Dd] (encoder output without cls, at the regressor width)
     * @param maskedIdx  [N, M] int32
     * @param visibleIdx [N, Nv] int32
     * @return Ẑm [N, M, Dd], the predicted latents of the masked patches
     */
    public Tensor regress(Tensor zv, Tensor maskedIdx, Tensor visibleIdx) {
        int n = zv.dim(0), m = maskedIdx.dim(1), dd = config.decoderDim();
        Tensor posM = positionRows(rdPosEmbed, maskedIdx);                     // [N, M, Dd]
        Tensor posV = positionRows(rdPosEmbed, visibleIdx);                    // [N, Nv, Dd]
        Tensor queries = maskToken.tensor().expand(n, m, dd);                  // [N, M, Dd]
        return regresser.forward(queries, zv, posM, posV);                     // [N, M, Dd]
    }

    // ================================================================ decoder

    /**
     * The decoder (docs/cae.md#decoder): Ẑm + pos_m → self-attention blocks over the masked tokens only → norm → head.
     *
     * @param zmHat     [N, M, Dd]
     * @param maskedIdx [N, M] int32
     * @return pred [N, M, K] logits (TOKENS) or [N, M, p²·C] normalised pixels (PIXELS)
     */
    public Tensor decode(Tensor zmHat, Tensor maskedIdx) {
        return decoder.forward(zmHat, positionRows(rdPosEmbed, maskedIdx));
    }

    /**
     * The path of the CAE paper's alignment figure (Chen et al., "Context Autoencoder for Self-Supervised Representation
     * Learning": the encoder's representations of all patches fed to the decoder directly): ALL L patches through the
     * encoder, its output (cls dropped, at the regressor width) straight into the decoder — no regressor. Only a model
     * whose regressor output and encoder output share one space (λ &gt; 0) decodes the encoder's output into the image.
     *
     * @param images [N, C, H, W]
     * @return [N, L, headDim]: normalised pixels per patch (PIXELS) or token logits (TOKENS), raster order
     */
    public Tensor decodeAllEncoded(Tensor images) {
        int n = images.dim(0), l = config.numPatches();
        int[] idx = new int[n * l];
        for (int i = 0; i < idx.length; i++) idx[i] = i % l;
        Tensor all = Tensor.ofInts(backend, idx, n, l);                        // every patch, ascending
        Tensor z = toRegressorWidth(encode(images, all));                      // [N, 1+L, Dd]
        return decode(z.narrow(1, 1, l), all);                                 // [N, L, headDim]
    }

    // ================================================================ targets

    /**
     * The alignment target Zm (docs/cae.md#alignment): the SAME encoder weights under stop-gradient, run on the masked
     * patches only (plus cls and their position rows); final-norm output with cls dropped, at the regressor
     * width. Computed with grad mode off, so it records nothing on the tape and no gradient can reach the
     * encoder through it. Like the official teacher (a submodule in train mode) it uses drop-path in training.
     *
     * @return [N, M, Dd], requiresGrad false
     */
    public Tensor alignmentTarget(Tensor images, Tensor maskedIdx) {
        try (var off = GradMode.noGrad()) {
            Tensor z = encode(images, maskedIdx);                              // [N, 1+M, D]
            z = toRegressorWidth(z);                                           // [N, 1+M, Dd]
            return z.narrow(1, 1, z.dim(1) - 1).contiguous().detach();         // [N, M, Dd]  cls dropped
        }
    }

    /**
     * The pixel target: MAE's normalised pixels ({@link Patchify#normPix}, docs/mae.md#loss) of the masked patches, in
     * raster order.
     *
     * @return [N, M, p²·C], a constant
     */
    public Tensor pixelTarget(Tensor images, Tensor maskedIdx) {
        try (var off = GradMode.noGrad()) {
            Tensor x = Patchify.patchify(images, config.encoder().patchSize()); // [N, L, p²·C]
            return Patchify.normPix(x).gather(1, maskedIdx).detach();           // [N, M, p²·C]
        }
    }

    /** Token ids of the masked patches: tokens [N, L] int32 → labels [N·M] int32 (sample-major, raster order). */
    public Tensor tokenLabels(Tensor tokens, Tensor maskedIdx) {
        int n = maskedIdx.dim(0), m = maskedIdx.dim(1), l = config.numPatches();
        if (!tokens.isInt() || tokens.rank() != 2 || tokens.dim(0) != n || tokens.dim(1) != l) {
            throw new ShapeException("tokenLabels: expected int32 token ids [" + n + ", " + l + "], got " + tokens);
        }
        int[] ids = tokens.toIntArray(), idx = maskedIdx.toIntArray(), labels = new int[n * m];
        for (int s = 0; s < n; s++) for (int j = 0; j < m; j++) labels[s * m + j] = ids[s * l + idx[s * m + j]];
        return Tensor.ofInts(backend, labels, n * m);
    }

    // ================================================================ forward

    /**
     * One pretraining step's forward (docs/cae.md#one-training-step).
     *
     * @param images [N, C, H, W]
     * @param masks  which patches are masked, as index tensors (see {@link MaskIndices})
     * @param tokens token ids [N, L] int32 for the TOKENS target; ignored (may be null) for PIXELS
     */
    public CaeOutput forward(Tensor images, MaskIndices masks, Tensor tokens) {
        Tensor vis = masks.visible(), msk = masks.masked();
        int nv = masks.numVisible();

        Tensor latent = encode(images, vis);                                   // [N, 1+Nv, D]
        Tensor zv = toRegressorWidth(latent).narrow(1, 1, nv);                 // [N, Nv, Dd]  cls removed
        Tensor alignTarget = alignmentTarget(images, msk);                     // [N, M, Dd]   no grad

        Tensor zmHat = regress(zv, msk, vis);                                  // [N, M, Dd]
        Tensor pred = decode(zmHat, msk);                                      // [N, M, K | p²·C]

        Tensor lossMain;
        if (config.target() == CaeTarget.TOKENS) {
            if (tokens == null) throw new IllegalArgumentException("forward: the TOKENS target needs token ids [N, L]");
            int k = pred.dim(2);
            lossMain = Loss.crossEntropy(pred.reshape(-1, k), tokenLabels(tokens, msk), 0f);  // mean over N·M tokens
        } else {
            lossMain = Loss.mse(pred, pixelTarget(images, msk));               // mean over all masked elements
        }
        Tensor lossAlign = Loss.mse(zmHat, alignTarget);                       // mean over all elements
        Tensor loss = lossMain.add(lossAlign.mul((float) config.alignWeight()));
        return new CaeOutput(loss, lossMain, lossAlign, zmHat, pred, latent, alignTarget);
    }

    /** {@link #forward(Tensor, MaskIndices, Tensor)} with per-sample boolean masks [N][L] (true = masked). */
    public CaeOutput forward(Tensor images, boolean[][] masks, Tensor tokens) {
        return forward(images, MaskIndices.of(backend, masks), tokens);
    }

    /** {@link #forward(Tensor, MaskIndices, Tensor)} with masks drawn by {@link #sampleMasks}. */
    public CaeOutput forward(Tensor images, Tensor tokens) {
        return forward(images, sampleMasks(images.dim(0)), tokens);
    }

    // ================================================================ init

    /** docs/cae.md#initialisation, CAE default or (fixInitWeight) BEiT's; see the class comment. */
    private void initWeights(Rng rng) {
        int d = config.encoder().dim();
        Parameter convW = encoder.patchEmbed().namedParameters().get("proj.weight");
        Parameter convB = encoder.patchEmbed().namedParameters().get("proj.bias");
        set(convW.tensor(), config.patchEmbedInit() == PatchEmbedInit.XAVIER
                ? rng.xavierUniform(d, convW.numel() / d) : truncNormal(rng, convW.numel()));
        set(convB.tensor(), new float[d]);
        set(encoder.clsToken().tensor(), truncNormal(rng, d));
        set(maskToken.tensor(), truncNormal(rng, config.decoderDim()));
        if (!config.fixInitWeight()) return;   // Linears are xavier_uniform / bias 0 from construction

        // BEiT: every Linear trunc-normal, then proj and fc2 of block i (1-based) divided by √(2i).
        Map<Linear, Float> rescale = new IdentityHashMap<>();
        List<Block> encBlocks = encoder.blocks(), decBlocks = decoder.blocks();
        for (int i = 0; i < encBlocks.size(); i++) rescaleBlock(rescale, encBlocks.get(i), i + 1);
        for (int i = 0; i < decBlocks.size(); i++) rescaleBlock(rescale, decBlocks.get(i), i + 1);
        List<RegressorBlock> regBlocks = regresser.blocks();
        for (int i = 0; i < regBlocks.size(); i++) {
            float s = (float) (1 / Math.sqrt(2.0 * (i + 1)));
            rescale.put(regBlocks.get(i).crossAttn().proj(), s);
            rescale.put(regBlocks.get(i).mlpFc2(), s);
        }
        List<Linear> linears = new ArrayList<>();
        collectLinears(encoder, linears);
        collectLinears(regresser, linears);
        collectLinears(decoder, linears);
        for (Linear lin : linears) {
            float[] w = truncNormal(rng, lin.weight().numel());
            float s = rescale.getOrDefault(lin, 1f);
            for (int i = 0; i < w.length; i++) w[i] *= s;
            set(lin.weight().tensor(), w);
        }
        if (encoderToRegresser != null) {
            // With --fix_init_weight the top-level re-init is skipped, so this Linear keeps PyTorch's default,
            // kaiming_uniform(a=√5) = U(±1/√fan_in), bias U(±1/√fan_in).
            float bound = (float) (1 / Math.sqrt(d));
            Tensor w = encoderToRegresser.weight().tensor(), b = encoderToRegresser.bias().tensor();
            set(w, rng.uniform(w.numel(), -bound, bound));
            set(b, rng.uniform(b.numel(), -bound, bound));
        }
    }

    private static void rescaleBlock(Map<Linear, Float> rescale, Block block, int layerId) {
        float s = (float) (1 / Math.sqrt(2.0 * layerId));
        rescale.put(block.attn().proj(), s);
        rescale.put(block.mlp().fc2(), s);
    }

    private static void collectLinears(Module m, List<Linear> out) {
        if (m instanceof Linear lin) out.add(lin);
        for (Module c : m.children().values()) collectLinears(c, out);
    }

    /** timm trunc_normal_(std=0.02, a=−0.02, b=0.02) as CAE calls it: the cut is ±1 std, absolute. */
    private static float[] truncNormal(Rng rng, int n) {
        return rng.truncatedNormal(n, INIT_STD, -INIT_STD, INIT_STD);
    }

    private static void set(Tensor t, float[] values) {
        t.copyFrom(values);
    }

    // ================================================================ introspection

    public CaeEncoder encoder() {
        return encoder;
    }

    public LatentRegressor regresser() {
        return regresser;
    }

    public CaeDecoder decoder() {
        return decoder;
    }

    public Parameter maskToken() {
        return maskToken;
    }

    /** The fixed regressor/decoder position table [1, 1+L, Dd]. */
    public Tensor rdPosEmbed() {
        return rdPosEmbed;
    }

    /** The text {@code tessera model NAME} prints for this CAE. */
    public String summary() {
        ViTConfig enc = config.encoder();
        int l = config.numPatches(), m = config.numMasked();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"image", ModelSummary.imageLine(enc)});
        rows.add(new String[] {"encoder", enc.describe()});
        String neck = "dim " + config.decoderDim() + ", heads " + config.decoderHeads() + ", mlp " + config.decoderMlpHidden()
                + (config.decoderLayerScaleInit() > 0 ? ", LayerScale " + config.decoderLayerScaleInit() : "");
        rows.add(new String[] {"regressor", config.regressorDepth() + " cross-attention blocks, " + neck});
        rows.add(new String[] {"decoder", config.decoderDepth() + " self-attention blocks, " + neck});
        rows.add(new String[] {"masking", config.masking().name().toLowerCase() + ", " + m + " masked of " + l + " ("
                + (l - m) + " visible); encoder sequence " + (1 + l - m) + ", regressor attention " + m + " × " + l});
        rows.add(new String[] {"target", config.target() == CaeTarget.TOKENS
                ? "token ids, " + config.vocabSize() + "-way cross-entropy on masked patches"
                : "normalised pixels, MSE on masked patches"});
        rows.add(new String[] {"alignment", config.alignWeight() + " × MSE(Ẑm, encoder on masked patches, no grad)"});
        rows.add(new String[] {"init", (config.fixInitWeight() ? "BEiT (truncated normal, rescaled)" : "xavier_uniform (CAE default)")
                + (config.patchEmbedInit() == PatchEmbedInit.XAVIER ? "; patch embedding xavier_uniform (as MAE's)" : "")});
        return ModelSummary.render(config.name(), rows, this, List.of(
                ModelSummary.part("patch embed", "encoder.patch_embed"),
                ModelSummary.part("cls token", "encoder.cls_token"),
                ModelSummary.part("position table (encoder)", "encoder.pos_embed"),
                ModelSummary.repeated("encoder blocks", "encoder.blocks"),
                ModelSummary.part("encoder norm", "encoder.norm"),
                ModelSummary.part("encoder → regressor", "encoder_to_regresser", "encoder_to_regresser_norm"),
                ModelSummary.part("position table (neck)", "rd_pos_embed"),
                ModelSummary.part("mask token", "mask_token"),
                ModelSummary.repeated("regressor blocks", "regresser.regressor_blocks"),
                ModelSummary.part("regressor norm", "regresser.norm"),
                ModelSummary.repeated("decoder blocks", "decoder.decoder_blocks"),
                ModelSummary.part("decoder norm", "decoder.norm"),
                ModelSummary.part("decoder head", "decoder.head")));
    }
}
