package dev.tessera.vit;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The ViT classifier as MAE's {@code models_vit.py} builds it on timm (docs/vit.md, docs/mae.md#fine-tuning): patch embedding, cls
 * token, position table, {@code depth} pre-norm blocks, then either the final {@code norm} and the cls token
 * (Pool.CLS) or the mean of the patch tokens and {@code fc_norm} (Pool.AVG, MAE's {@code global_pool}, where
 * {@code norm} does not exist), then the {@code head}.
 *
 * <p>Checkpoint names: {@code cls_token} [1,1,D], {@code pos_embed} [1,1+L,D], {@code patch_embed.proj.*},
 * {@code blocks.i.*}, {@code norm.*} or {@code fc_norm.*}, {@code head.*} — so an MAE/CAE encoder loads by name
 * ({@link Module#loadStateDict}, allowing {@code head.*} and {@code fc_norm.*} to be missing).
 *
 * <p>Init (from-scratch training; fine-tuning overwrites most of it from a checkpoint): the same as MAE's
 * encoder — xavier_uniform Linears, patch-embed as in {@link PatchEmbed}, {@code cls_token} N(0, 0.02), LN 1/0,
 * {@code pos_embed} = the 2-D sin-cos table even when learnable (MAE fine-tuning starts from exactly that) —
 * and the head weight truncated-normal with {@code headInitStd} (2e-5, MAE fine-tuning), bias 0. (timm would
 * draw cls/pos/Linears from a 0.02 truncated normal; either trains.)
 *
 * <p>Shapes: N images, L = (H/p)² patches, D width. Example:
 * <pre>{@code
 *   var vit = new VisionTransformer(ViTConfig.preset("vit-tiny-28"), backend, new Rng(0));
 *   Tensor logits = vit.forward(images);             // images [N, 1, 28, 28] → [N, 10]
 *   Tensor probe = vit.features(images, Pool.CLS);   // [N, 192]
 * }</pre>
 */
public final class VisionTransformer extends Module {
    private final ViTConfig config;
    private final Parameter clsToken;
    private final Tensor posEmbed;
    private final PatchEmbed patchEmbed;
    private final List<Block> blocks = new ArrayList<>();
    private final LayerNorm norm;     // Pool.CLS only
    private final LayerNorm fcNorm;   // Pool.AVG only
    private final Linear head;        // numClasses > 0 only
    private final ViTEncoder encoder; // the pass over the parts above

    public VisionTransformer(ViTConfig config, Backend backend, Rng rng) {
        this.config = config;
        int d = config.dim();
        this.clsToken = parameter("cls_token", Tensor.of(backend, rng.normal(d, 0f, 0.02f), 1, 1, d));
        Tensor table = PosEmbed2d.tensor(backend, d, config.gridSize(), config.posOrder());  // [1, 1+L, D]
        this.posEmbed = config.posLearnable() ? parameter("pos_embed", table).tensor() : buffer("pos_embed", table);
        this.patchEmbed = module("patch_embed",
                new PatchEmbed(backend, config.imgSize(), config.patchSize(), config.inChans(), d, rng));
        double[] dpr = Block.dropPathRates(config.dropPath(), config.depth());
        for (int i = 0; i < config.depth(); i++) blocks.add(module("blocks." + i, Block.of(config, dpr[i], backend, rng)));
        boolean avg = config.pool() == Pool.AVG;
        this.norm = avg ? null : module("norm", new LayerNorm(backend, d, ViTConfig.LN_EPS));
        this.fcNorm = avg ? module("fc_norm", new LayerNorm(backend, d, ViTConfig.LN_EPS)) : null;
        if (config.numClasses() > 0) {
            this.head = module("head", new Linear(backend, d, config.numClasses(), true, rng));
            float std = (float) config.headInitStd();
            // timm's trunc_normal_(w, std) cuts at ±2 ABSOLUTE, which for these tiny stds is a plain normal.
            Tensor w = head.weight().tensor();
            w.copyFrom(rng.truncatedNormal(w.numel(), std, -2f, 2f));
        } else {
            this.head = null;
        }
        this.encoder = new ViTEncoder(patchEmbed, clsToken, posEmbed, blocks, norm);
    }

    public ViTConfig config() {
        return config;
    }

    /**
     * images [N, C, H, W] → tokens [N, 1+L, D] after the blocks; with Pool.CLS also after the final
     * {@code norm} (timm {@code forward_features} before taking the cls row). With Pool.AVG there is no final
     * norm, so these are the raw block outputs.
     */
    public Tensor forwardFeatures(Tensor images) {
        return encoder.encode(encoder.embed(images));                   // [N, 1+L, D]
    }

    /**
     * images → the tokens after the first {@code upTo} blocks, before any final norm: [N, 1+L, D]
     * (upTo = depth − 1 gives what enters the last block, whose attention the pictures show).
     */
    public Tensor forwardTokens(Tensor images, int upTo) {
        return encoder.throughBlocks(encoder.embed(images), upTo);
    }

    /**
     * One feature vector per image, [N, D] — what probes and the head read.
     * <ul>
     *   <li>CLS: the cls token after the final {@code norm} (the linear-probe feature, docs/mae.md#linear-probe).</li>
     *   <li>AVG on a Pool.AVG model: mean of the L patch tokens, then {@code fc_norm} (MAE global_pool).</li>
     *   <li>AVG on a Pool.CLS model (no {@code fc_norm}): mean of the L patch tokens after the final
     *       {@code norm} — the natural average-pooled probe of a pretrained MAE encoder.</li>
     * </ul>
     * CLS on a Pool.AVG model is refused: that model has no trained final norm for the cls token.
     */
    public Tensor features(Tensor images, Pool pool) {
        requirePoolable(pool);
        return pool(forwardFeatures(images), pool);
    }

    /**
     * The pooling half of {@link #features}: tokens [N, 1+L, D] as {@link #forwardFeatures} returns them → [N, D].
     * One encoder pass can so feed both pools.
     */
    public Tensor pool(Tensor x, Pool pool) {
        requirePoolable(pool);
        int n = x.dim(0), l = x.dim(1) - 1, d = config.dim();
        if (pool == Pool.CLS) return x.narrow(1, 0, 1).reshape(n, d);   // [N, D]
        Tensor avg = x.narrow(1, 1, l).mean(1, false);                 // [N, D]  cls excluded
        return fcNorm != null ? fcNorm.forward(avg) : avg;
    }

    private void requirePoolable(Pool pool) {
        if (pool == Pool.CLS && norm == null) {
            throw new IllegalArgumentException("features(CLS) on a model built with pool AVG: it has fc_norm, not the "
                    + "final norm the cls feature needs; build it with Pool.CLS");
        }
    }

    /** images [N, C, H, W] → logits [N, numClasses] (or the pooled features [N, D] when there is no head). */
    public Tensor forward(Tensor images) {
        Tensor f = features(images, config.pool());
        return head != null ? head.forward(f) : f;
    }

    public PatchEmbed patchEmbed() {
        return patchEmbed;
    }

    public List<Block> blocks() {
        return Collections.unmodifiableList(blocks);
    }

    /** The classifier head, or null when numClasses = 0. */
    public Linear head() {
        return head;
    }

    /** The text {@code tessera model NAME} prints for this classifier. */
    public String summary() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"image", ModelSummary.imageLine(config)});
        rows.add(new String[] {"encoder", config.describe()});
        rows.add(new String[] {"position", (config.posLearnable() ? "learnable" : "fixed") + " 2-D sin-cos ("
                + config.posOrder() + " order)"});
        rows.add(new String[] {"pooling", config.pool() == Pool.CLS ? "cls token after final norm" : "mean of patch tokens, then fc_norm"});
        rows.add(new String[] {"head", config.numClasses() > 0 ? config.numClasses() + " classes" : "none"});
        return ModelSummary.render(config.name(), rows, this, List.of(
                ModelSummary.part("patch embed", "patch_embed"),
                ModelSummary.part("cls token", "cls_token"),
                ModelSummary.part("position table", "pos_embed"),
                ModelSummary.repeated("encoder blocks", "blocks"),
                ModelSummary.part("final norm", "norm", "fc_norm"),
                ModelSummary.part("head", "head")));
    }
}
