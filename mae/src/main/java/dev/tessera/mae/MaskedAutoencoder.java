package dev.tessera.mae;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.ops.Masking;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Block;
import dev.tessera.vit.ModelSummary;
import dev.tessera.vit.PatchEmbed;
import dev.tessera.vit.Patchify;
import dev.tessera.vit.PosEmbed2d;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.ViTEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Masked Autoencoder (He et al., "Masked Autoencoders Are Scalable Vision Learners", CVPR 2022), reading like
 * the official {@code models_mae.py}: one method per stage of the paper's pipeline (docs/mae.md).
 * <pre>
 *   patchify        imgs [N, C, H, W]          → target patches [N, L, p²·C]
 *   forwardEncoder  imgs                       → latent [N, 1+len_keep, D], mask [N, L], ids_restore [N, L]
 *                   (patch-embed + pos, randomMasking keeps len_keep tokens, prepend cls, blocks, norm)
 *   forwardDecoder  latent, ids_restore        → pred [N, L, p²·C]
 *                   (decoder_embed, append mask tokens, un-shuffle, + pos, blocks, norm, decoder_pred, drop cls)
 *   forwardLoss     imgs, pred, mask           → mean per-patch MSE over REMOVED patches only
 * </pre>
 * Letters: N images, C channels, p patch size, G = H/p, L = G² patches, D encoder width, Dd decoder width,
 * len_keep = int(L·(1 − mask_ratio)) visible patches (49 of 196 for ViT-B at 75%).
 *
 * <p>Parameter names are the official checkpoint's: {@code patch_embed.proj.*}, {@code cls_token},
 * {@code blocks.i.*}, {@code norm.*}, {@code decoder_embed.*}, {@code mask_token}, {@code decoder_blocks.i.*},
 * {@code decoder_norm.*}, {@code decoder_pred.*}; the fixed sin-cos tables {@code pos_embed} and
 * {@code decoder_pos_embed} are buffers (saved and loaded, never trained).
 *
 * <p>Init ({@code initialize_weights}, docs/vit.md#initialisation): position tables = MAE-order sin-cos; every Linear (the
 * fused qkv as ONE matrix) xavier_uniform with zero bias; patch-embed weight xavier on its [D, C·p²] view and
 * bias U(±1/√(C·p²)); {@code cls_token} and {@code mask_token} N(0, 0.02) (the official code notes timm's
 * ±2-cut truncated normal is effectively that); LayerNorms 1/0.
 *
 * <p>Example (one pretraining step; the trainer owns the optimizer and the step scope):
 * <pre>{@code
 *   var mae = new MaskedAutoencoder(MaeConfig.preset("mae-tiny"), backend, new Rng(0));
 *   MaeOutput out = mae.forward(images);        // images [N, 1, 28, 28]; 75% random masking
 *   out.loss().backward();
 * }</pre>
 */
public final class MaskedAutoencoder extends Module {
    private final MaeConfig config;
    private final Backend backend;
    private final Rng maskRng;

    // ---------------------------------------------------------------- encoder: patch_embed, cls_token, pos_embed, blocks, norm
    private final List<Block> blocks = new ArrayList<>();
    private final ViTEncoder encoder;

    // ---------------------------------------------------------------- decoder specifics
    private final Linear decoderEmbed;
    private final Parameter maskToken;
    private final Tensor decoderPosEmbed;          // [1, 1+L, Dd] fixed
    private final List<Block> decoderBlocks = new ArrayList<>();
    private final LayerNorm decoderNorm;
    private final Linear decoderPred;

    /** Builds and initialises the model; {@code rng} draws the init and (through a fork) the masking noise. */
    public MaskedAutoencoder(MaeConfig config, Backend backend, Rng rng) {
        this.config = config;
        this.backend = backend;
        this.maskRng = rng.fork(0x6D61736BL); // "mask": its own stream, so init order never shifts the masks
        ViTConfig enc = config.encoder();
        int d = enc.dim(), dd = config.decoderDim(), g = enc.gridSize();

        PatchEmbed patchEmbed = module("patch_embed", new PatchEmbed(backend, enc.imgSize(), enc.patchSize(), enc.inChans(), d, rng));
        Parameter clsToken = parameter("cls_token", Tensor.of(backend, rng.normal(d, 0f, 0.02f), 1, 1, d));
        Tensor posEmbed = buffer("pos_embed", PosEmbed2d.tensor(backend, d, g, PosEmbed2d.Order.MAE));   // [1, 1+L, D] fixed
        double[] dpr = Block.dropPathRates(enc.dropPath(), enc.depth());
        for (int i = 0; i < enc.depth(); i++) blocks.add(module("blocks." + i, Block.of(enc, dpr[i], backend, rng)));
        LayerNorm norm = module("norm", new LayerNorm(backend, d, ViTConfig.LN_EPS));
        this.encoder = new ViTEncoder(patchEmbed, clsToken, posEmbed, blocks, norm);

        this.decoderEmbed = module("decoder_embed", new Linear(backend, d, dd, true, rng));
        this.maskToken = parameter("mask_token", Tensor.of(backend, rng.normal(dd, 0f, 0.02f), 1, 1, dd));
        this.decoderPosEmbed = buffer("decoder_pos_embed", PosEmbed2d.tensor(backend, dd, g, PosEmbed2d.Order.MAE));
        int decHidden = (int) (dd * enc.mlpRatio());
        for (int i = 0; i < config.decoderDepth(); i++) {
            // timm Block(decoder_embed_dim, decoder_num_heads, mlp_ratio, qkv_bias=True): no LayerScale, no drop-path.
            decoderBlocks.add(module("decoder_blocks." + i,
                    new Block(backend, dd, config.decoderHeads(), decHidden, true, false, 0, 0, rng)));
        }
        this.decoderNorm = module("decoder_norm", new LayerNorm(backend, dd, ViTConfig.LN_EPS));
        this.decoderPred = module("decoder_pred", new Linear(backend, dd, enc.patchDim(), true, rng)); // decoder to patch
    }

    public MaeConfig config() {
        return config;
    }

    // ================================================================ patches

    /** imgs [N, C, H, W] → x [N, L, p²·C], channel-last inside a patch (docs/mae.md#patchify). */
    public Tensor patchify(Tensor imgs) {
        return Patchify.patchify(imgs, config.encoder().patchSize());
    }

    /** x [N, L, p²·C] → imgs [N, C, H, W]; the exact inverse of {@link #patchify}. */
    public Tensor unpatchify(Tensor x) {
        return Patchify.unpatchify(x, config.encoder().patchSize(), config.encoder().inChans());
    }

    // ================================================================ masking

    /** The result of {@link #randomMasking}; index tensors are int32. */
    public record Masked(
            Tensor x,            // [N, len_keep, D] kept tokens, in SHUFFLED order (ids_keep order)
            Tensor mask,         // [N, L] float, 0 keep, 1 remove, in ORIGINAL patch order
            Tensor idsRestore,   // [N, L] int, inverse permutation of ids_shuffle
            Tensor idsKeep,      // [N, len_keep] int, = ids_shuffle[:, :len_keep]
            Tensor idsShuffle) {}

    /**
     * Per-sample random masking by per-sample shuffling (docs/mae.md#masking). For each sample:
     * <pre>
     *   ids_shuffle = argsort(noise)        ascending: SMALL noise is kept, large is removed
     *   ids_restore = argsort(ids_shuffle)  the inverse permutation
     *   ids_keep    = ids_shuffle[:len_keep];  x_masked[t] = x[ids_keep[t]]   (a gather; shuffled order)
     *   mask[i]     = 1 iff rank of noise[i] ≥ len_keep     (0 keep, 1 remove)
     * </pre>
     * Every sample keeps the same len_keep = int(L·(1 − maskRatio)) tokens, so no padding is needed.
     *
     * @param x     tokens [N, L, D] (position already added)
     * @param noise [N, L] float, or null to draw it with this config's {@link MaskingStrategy}. Passing it
     *              makes masking deterministic (tests share it with PyTorch). Argsort is stable: equal noise
     *              values keep their patch order.
     */
    public Masked randomMasking(Tensor x, double maskRatio, Tensor noise) {
        return mask(x, MaeConfig.lenKeep(x.dim(1), maskRatio), noise);
    }

    private Masked mask(Tensor x, int lenKeep, Tensor noise) {
        int n = x.dim(0), l = x.dim(1);
        if (noise != null && !Arrays.equals(noise.shape(), new int[] {n, l})) {
            throw new ShapeException("randomMasking: noise " + Shape.str(noise.shape()) + " for tokens " + Shape.str(x.shape())
                    + " (expected [" + n + ", " + l + "])");
        }
        // The noise is drawn on the host (one upload); the argsort and everything made from it stay on the device.
        Tensor nz = noise != null ? noise
                : Tensor.of(backend, config.masking().noise(n, config.encoder().gridSize(), lenKeep, maskRng), n, l);
        Masking.Shuffle s = Masking.argsort(nz, lenKeep);                    // ascending: small is keep
        return new Masked(x.gather(1, s.idsKeep()), s.mask(), s.idsRestore(), s.idsKeep(), s.idsShuffle());
    }

    /**
     * Row-wise stable argsort of {@code values} [n, l], ascending (torch.argsort per row), on the host: what masking
     * computed before it moved to the device, kept as the independent reference {@link Masking#argsort} is tested
     * against.
     */
    static int[] argsortRows(float[] values, int n, int l) {
        int[] out = new int[n * l];
        Integer[] order = new Integer[l];
        for (int s = 0; s < n; s++) {
            final int base = s * l;
            for (int i = 0; i < l; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Float.compare(values[base + a], values[base + b])); // stable merge sort
            for (int t = 0; t < l; t++) out[base + t] = order[t];
        }
        return out;
    }

    // ================================================================ encoder

    /** What {@link #forwardEncoder} returns. */
    public record Encoded(
            Tensor latent,       // [N, 1+len_keep, D] after the final norm; row 0 is cls
            Tensor mask,         // [N, L] 0 keep, 1 remove
            Tensor idsRestore,   // [N, L] int
            Tensor idsKeep) {}   // [N, len_keep] int

    /**
     * The encoder runs on the visible patches only (docs/mae.md#encoder): embed all L patches and add pos[1:]; mask down
     * to len_keep; prepend cls + pos[0] (pos[0] is zero); blocks; norm ({@link ViTEncoder}). It never sees a
     * mask token.
     */
    public Encoded forwardEncoder(Tensor imgs, double maskRatio, Tensor noise) {
        return encode(imgs, MaeConfig.lenKeep(config.numPatches(), maskRatio), noise);
    }

    private Encoded encode(Tensor imgs, int lenKeep, Tensor noise) {
        Tensor x = encoder.embed(imgs);                                       // [N, L, D], + pos
        Masked m = mask(x, lenKeep, noise);                                   // [N, len_keep, D]
        Tensor latent = encoder.encode(m.x());                                // [N, 1+len_keep, D]  cls, blocks, norm
        return new Encoded(latent, m.mask(), m.idsRestore(), m.idsKeep());
    }

    // ================================================================ decoder

    /**
     * Decoder (docs/mae.md#decoder): embed every encoder token (cls included) to Dd, restore the full sequence with
     * mask tokens, add the decoder's position table, blocks, norm, predict p²·C values per patch, drop cls.
     *
     * @param latent     [N, 1+len_keep, D]
     * @param idsRestore [N, L] int
     * @return pred [N, L, p²·C], a prediction for EVERY patch (visible ones too)
     */
    public Tensor forwardDecoder(Tensor latent, Tensor idsRestore) {
        Tensor x = decoderEmbed.forward(latent);                              // [N, 1+len_keep, Dd]
        x = appendMaskTokensAndUnshuffle(x, idsRestore);                      // [N, 1+L, Dd]
        x = x.add(decoderPosEmbed);                                           // + pos on all tokens, cls included
        for (Block b : decoderBlocks) x = b.forward(x);
        x = decoderNorm.forward(x);
        x = decoderPred.forward(x);                                           // [N, 1+L, p²·C]
        return x.narrow(1, 1, x.dim(1) - 1);                                  // [N, L, p²·C]  remove cls
    }

    /**
     * The un-shuffle step: x [N, 1+len_keep, Dd] (cls first, then the kept tokens in shuffled order) →
     * [N, 1+L, Dd] in raster order, where row 1+i is the kept token of patch i or the mask token if patch i
     * was removed. Appending L − len_keep mask tokens after the kept ones rebuilds the shuffled sequence, and
     * gathering it with ids_restore puts each token back at its patch.
     */
    public Tensor appendMaskTokensAndUnshuffle(Tensor x, Tensor idsRestore) {
        int n = x.dim(0), dd = x.dim(2), l = idsRestore.dim(1), kept = x.dim(1) - 1;
        Tensor maskTokens = maskToken.tensor().expand(n, l - kept, dd);       // [N, L−len_keep, Dd]
        Tensor shuffled = Tensor.concat(1, x.narrow(1, 1, kept), maskTokens); // [N, L, Dd]  no cls token
        Tensor unshuffled = shuffled.gather(1, idsRestore);                   // [N, L, Dd]  raster order
        return Tensor.concat(1, x.narrow(1, 0, 1), unshuffled);               // [N, 1+L, Dd] cls back in front
    }

    // ================================================================ loss

    /**
     * The regression target, patchify(imgs) [N, L, p²·C]; with norm_pix_loss each patch normalised by its own
     * mean and unbiased variance ({@link Patchify#normPix}), so a constant patch has an all-zero target.
     */
    public Tensor forwardTarget(Tensor imgs) {
        Tensor target = patchify(imgs);                                       // [N, L, p²·C]
        return config.normPixLoss() ? Patchify.normPix(target) : target;
    }

    /**
     * loss = Σ_{n,i} l[n,i]·mask[n,i] / Σ mask, with l[n,i] = mean over the p²·C values of (pred − target)²:
     * the per-patch MSE averaged over REMOVED patches of the whole batch (docs/mae.md#loss).
     *
     * @param pred [N, L, p²·C]
     * @param mask [N, L], 0 keep, 1 remove
     */
    public Tensor forwardLoss(Tensor imgs, Tensor pred, Tensor mask) {
        Tensor target = forwardTarget(imgs);
        Tensor loss = pred.sub(target).square().mean(-1, false);             // [N, L]  mean loss per patch
        return loss.mul(mask).sum().div(mask.sum());                         // mean loss on removed patches
    }

    // ================================================================ forward

    /**
     * One pretraining step's forward: encoder on the visible patches, decoder on all, loss on the removed.
     *
     * @param imgs      [N, C, H, W]
     * @param maskRatio fraction removed (0.75)
     * @param noise     [N, L] masking noise, or null to draw it (see {@link #randomMasking})
     */
    public MaeOutput forward(Tensor imgs, double maskRatio, Tensor noise) {
        Encoded e = forwardEncoder(imgs, maskRatio, noise);
        Tensor pred = forwardDecoder(e.latent(), e.idsRestore());             // [N, L, p²·C]
        Tensor loss = forwardLoss(imgs, pred, e.mask());
        return new MaeOutput(loss, pred, e.mask(), e.idsRestore(), e.latent());
    }

    /** {@link #forward(Tensor, double, Tensor)} at the config's mask ratio with freshly drawn noise. */
    public MaeOutput forward(Tensor imgs) {
        return forward(imgs, config.maskRatio(), null);
    }

    // ================================================================ visualisation

    /**
     * Reconstructs {@code imgs} with a given mask, without recording gradients (the official demo's
     * {@code run_one_image}). Every row of {@code mask} must remove the same number of patches.
     *
     * <p>With norm_pix_loss the decoder predicts normalised patches; to draw them, each predicted patch is
     * de-normalised with the mean and (unbiased) variance of the ORIGINAL patch at that position. Note that
     * this leaks per-patch statistics of the removed patches into the picture (pengzhiliang/MAE-pytorch#40,
     * docs/mae.md#pitfalls): the pictures look better than what the model alone knows. Train without norm-pix for honest
     * reconstructions.
     *
     * @param imgs [N, C, H, W]
     * @param mask [N, L] float, 1 = removed
     */
    @SuppressWarnings("try") // the no-grad handle is only closed
    public Reconstruction reconstruct(Tensor imgs, Tensor mask) {
        int l = config.numPatches();
        if (!Arrays.equals(mask.shape(), new int[] {imgs.dim(0), l})) {
            throw new ShapeException("reconstruct: mask " + Shape.str(mask.shape()) + " for " + imgs.dim(0) + " images of "
                    + l + " patches");
        }
        try (var off = GradMode.noGrad()) {
            float[] m = mask.toArray();
            int n = imgs.dim(0), removed = -1;
            float[] noise = new float[m.length];
            for (int s = 0; s < n; s++) {
                int r = 0;
                for (int i = 0; i < l; i++) {
                    r += m[s * l + i] != 0f ? 1 : 0;
                    // visible first (raster order among them), then removed: argsort keeps exactly the visible ones
                    noise[s * l + i] = (m[s * l + i] != 0f ? 1f : 0f) + (float) i / l / 2f;
                }
                if (removed >= 0 && r != removed) {
                    throw new IllegalArgumentException("reconstruct: sample " + s + " removes " + r + " patches, sample 0 removes "
                            + removed + "; every sample must remove the same number");
                }
                removed = r;
            }
            Encoded e = encode(imgs, l - removed, Tensor.of(backend, noise, n, l));
            Tensor pred = forwardDecoder(e.latent(), e.idsRestore());         // [N, L, p²·C]
            Tensor patches = patchify(imgs);                                  // [N, L, p²·C]
            if (config.normPixLoss()) pred = Patchify.denormPix(pred, patches);  // leaks the removed patches' stats
            Tensor m3 = e.mask().reshape(n, l, 1);                            // [N, L, 1]
            Tensor keep = m3.neg().add(1f);                                   // 1 − mask
            Tensor pasted = patches.mul(keep).add(pred.mul(m3));              // visible from the input, rest predicted
            Tensor masked = patches.mul(keep);                                // removed patches zeroed
            return new Reconstruction(unpatchify(pred), unpatchify(pasted), unpatchify(masked), e.mask());
        }
    }

    /** A mask [N, L] (1 = removed) drawn with this config's strategy and mask ratio. */
    public Tensor sampleMask(int n) {
        int l = config.numPatches(), keep = config.lenKeep();
        float[] noise = config.masking().noise(n, config.encoder().gridSize(), keep, maskRng);
        return Masking.argsort(Tensor.of(backend, noise, n, l), keep).mask();
    }

    // ================================================================ introspection

    public List<Block> blocks() {
        return Collections.unmodifiableList(blocks);
    }

    public List<Block> decoderBlocks() {
        return Collections.unmodifiableList(decoderBlocks);
    }

    public Tensor maskTokenValue() {
        return maskToken.tensor();
    }

    /** The text {@code tessera model NAME} prints for this MAE. */
    public String summary() {
        ViTConfig enc = config.encoder();
        int keep = config.lenKeep();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"image", ModelSummary.imageLine(enc)});
        rows.add(new String[] {"encoder", enc.describe()});
        rows.add(new String[] {"decoder", "dim " + config.decoderDim() + ", depth " + config.decoderDepth() + ", heads "
                + config.decoderHeads() + " (head dim " + config.decoderDim() / config.decoderHeads() + "), mlp "
                + (int) (config.decoderDim() * enc.mlpRatio())});
        rows.add(new String[] {"masking", config.masking().name().toLowerCase() + " " + Math.round(config.maskRatio() * 100)
                + "% → " + keep + " visible of " + config.numPatches() + "; encoder sequence " + (1 + keep)
                + ", decoder sequence " + (1 + config.numPatches())});
        rows.add(new String[] {"loss", config.normPixLoss() ? "MSE on removed patches, per-patch normalised pixels"
                : "MSE on removed patches, pixels"});
        rows.add(new String[] {"position", "fixed 2-D sin-cos (MAE order), encoder and decoder"});
        return ModelSummary.render(config.name(), rows, this, List.of(
                ModelSummary.part("patch embed", "patch_embed"),
                ModelSummary.part("cls token", "cls_token"),
                ModelSummary.part("position table (encoder)", "pos_embed"),
                ModelSummary.repeated("encoder blocks", "blocks"),
                ModelSummary.part("encoder norm", "norm"),
                ModelSummary.part("decoder embed", "decoder_embed"),
                ModelSummary.part("mask token", "mask_token"),
                ModelSummary.part("position table (decoder)", "decoder_pos_embed"),
                ModelSummary.repeated("decoder blocks", "decoder_blocks"),
                ModelSummary.part("decoder norm", "decoder_norm"),
                ModelSummary.part("decoder pred", "decoder_pred")));
    }
}
