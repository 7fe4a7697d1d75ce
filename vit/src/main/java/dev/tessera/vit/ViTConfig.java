package dev.tessera.vit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything that fixes the shape of a Vision Transformer (Dosovitskiy et al. 2021), as data: MAE's
 * {@code models_vit.py} and CAE's BEiT-style encoder are both points in this record (docs/vit.md).
 *
 * <p>Field notes:
 * <ul>
 *   <li>{@code qkvBias}: timm's fused qkv Linear with a bias of 3D (MAE). {@code qvBias}: BEiT/CAE — the qkv
 *       Linear has no bias, learnable {@code q_bias} and {@code v_bias} are added and the k bias is fixed at 0.
 *       At most one of the two is on.</li>
 *   <li>{@code layerScaleInit}: 0 turns LayerScale off; otherwise γ1, γ2 start at this value (CAE-B 0.1).</li>
 *   <li>{@code dropPath}: the largest stochastic-depth rate; block i gets {@code dropPath·i/(depth−1)}.</li>
 *   <li>{@code numClasses}: 0 means no head (an encoder; {@code forward} returns the pooled features).</li>
 *   <li>{@code pool}: CLS keeps the final {@code norm}; AVG replaces it by {@code fc_norm} after averaging
 *       the patch tokens (MAE fine-tuning's {@code global_pool}).</li>
 *   <li>{@code posLearnable}: a trainable {@code pos_embed} parameter (timm classifier, MAE fine-tuning) or a
 *       fixed buffer (MAE/CAE pretraining, CAE fine-tuning). Either way it starts as the sin-cos table in
 *       {@code posOrder}.</li>
 *   <li>{@code relPosBias}: every block's attention adds BEiT's learned relative position bias (a zero-initialised
 *       table of (2G−1)²+3 rows per head, {@link RelativePositionBias}); CAE fine-tuning turns it on as the
 *       official {@code run_class_finetuning.py} ({@code rel_pos_bias=True}); pretraining never has it.</li>
 *   <li>{@code headInitStd}: the classifier head's weight is truncated-normal with this std (2e-5 for MAE
 *       fine-tuning, 0.01 for the linear probe; docs/vit.md#initialisation); its bias is 0.</li>
 * </ul>
 *
 * <p>Presets are named after the models ({@link #preset}); small configurations for tests and goldens are
 * built with {@link #of} and the {@code with…} methods, e.g.
 * {@code ViTConfig.of(28, 4, 1, 32, 2, 2).withNumClasses(10).withPool(Pool.AVG)}.
 */
public record ViTConfig(
        String name,
        int imgSize,
        int patchSize,
        int inChans,
        int dim,
        int depth,
        int heads,
        double mlpRatio,
        boolean qkvBias,
        boolean qvBias,
        double layerScaleInit,
        double dropPath,
        int numClasses,
        Pool pool,
        PosEmbed2d.Order posOrder,
        boolean posLearnable,
        double headInitStd,
        boolean relPosBias) {

    /** LayerNorm epsilon everywhere in MAE and CAE (timm's default of 1e-5 is NOT what they use). */
    public static final float LN_EPS = 1e-6f;

    public ViTConfig {
        if (name == null || name.isBlank()) name = "custom";
        if (imgSize <= 0 || patchSize <= 0 || inChans <= 0) {
            throw new IllegalArgumentException(name + ": image " + imgSize + ", patch " + patchSize + ", channels "
                    + inChans + " must be positive");
        }
        if (imgSize % patchSize != 0) {
            throw new IllegalArgumentException(name + ": image size " + imgSize + " is not a multiple of patch size " + patchSize);
        }
        if (dim <= 0 || depth < 0 || heads <= 0 || dim % heads != 0) {
            throw new IllegalArgumentException(name + ": dim " + dim + " must be positive and divisible by heads " + heads);
        }
        if (dim % 4 != 0) {
            throw new IllegalArgumentException(name + ": dim " + dim + " must be divisible by 4 (2-D sin-cos table)");
        }
        if (qkvBias && qvBias) {
            throw new IllegalArgumentException(name + ": choose qkvBias (timm) or qvBias (BEiT/CAE), not both");
        }
        if (mlpRatio <= 0) throw new IllegalArgumentException(name + ": mlpRatio " + mlpRatio + " must be positive");
        if (dropPath < 0 || dropPath >= 1) throw new IllegalArgumentException(name + ": dropPath " + dropPath + " not in [0, 1)");
        if (layerScaleInit < 0) throw new IllegalArgumentException(name + ": layerScaleInit " + layerScaleInit + " < 0");
        if (numClasses < 0) throw new IllegalArgumentException(name + ": numClasses " + numClasses + " < 0");
        if (pool == null) pool = Pool.CLS;
        if (posOrder == null) posOrder = PosEmbed2d.Order.MAE;
    }

    /**
     * A timm/MAE-style encoder with defaults: MLP ratio 4, qkv bias, no LayerScale, no drop-path, no head,
     * cls pooling, fixed MAE-order sin-cos position table, head std 2e-5.
     */
    public static ViTConfig of(int imgSize, int patchSize, int inChans, int dim, int depth, int heads) {
        return new ViTConfig("custom", imgSize, patchSize, inChans, dim, depth, heads, 4.0, true, false, 0.0, 0.0,
                0, Pool.CLS, PosEmbed2d.Order.MAE, false, 2e-5, false);
    }

    // ------------------------------------------------------------------ derived sizes

    /** G = H/p patches per side. */
    public int gridSize() {
        return imgSize / patchSize;
    }

    /** L = G² patches. */
    public int numPatches() {
        return gridSize() * gridSize();
    }

    /** D/h. */
    public int headDim() {
        return dim / heads;
    }

    /** Hidden width of the MLP, int(D·mlpRatio) as timm. */
    public int mlpHidden() {
        return (int) (dim * mlpRatio);
    }

    /** p²·C, the length of one flattened patch. */
    public int patchDim() {
        return patchSize * patchSize * inChans;
    }

    /** [C, H, W] of one input image. */
    public int[] imageShape() {
        return new int[] {inChans, imgSize, imgSize};
    }

    // ------------------------------------------------------------------ variants

    public ViTConfig withName(String n) {
        return new ViTConfig(n, imgSize, patchSize, inChans, dim, depth, heads, mlpRatio, qkvBias, qvBias,
                layerScaleInit, dropPath, numClasses, pool, posOrder, posLearnable, headInitStd, relPosBias);
    }

    public ViTConfig withNumClasses(int n) {
        return new ViTConfig(name, imgSize, patchSize, inChans, dim, depth, heads, mlpRatio, qkvBias, qvBias,
                layerScaleInit, dropPath, n, pool, posOrder, posLearnable, headInitStd, relPosBias);
    }

    public ViTConfig withPool(Pool p) {
        return new ViTConfig(name, imgSize, patchSize, inChans, dim, depth, heads, mlpRatio, qkvBias, qvBias,
                layerScaleInit, dropPath, numClasses, p, posOrder, posLearnable, headInitStd, relPosBias);
    }

    public ViTConfig withDropPath(double p) {
        return new ViTConfig(name, imgSize, patchSize, inChans, dim, depth, heads, mlpRatio, qkvBias, qvBias,
                layerScaleInit, p, numClasses, pool, posOrder, posLearnable, headInitStd, relPosBias);
    }

    /** Position table as a trainable parameter (true) or a fixed buffer (false). */
    public ViTConfig withPosLearnable(boolean on) {
        return new ViTConfig(name, imgSize, patchSize, inChans, dim, depth, heads, mlpRatio, qkvBias, qvBias,
                layerScaleInit, dropPath, numClasses, pool, posOrder, on, headInitStd, relPosBias);
    }

    public ViTConfig withPosOrder(PosEmbed2d.Order o) {
        return new ViTConfig(name, imgSize, patchSize, inChans, dim, depth, heads, mlpRatio, qkvBias, qvBias,
                layerScaleInit, dropPath, numClasses, pool, o, posLearnable, headInitStd, relPosBias);
    }

    public ViTConfig withHeadInitStd(double std) {
        return new ViTConfig(name, imgSize, patchSize, inChans, dim, depth, heads, mlpRatio, qkvBias, qvBias,
                layerScaleInit, dropPath, numClasses, pool, posOrder, posLearnable, std, relPosBias);
    }

    /** BEiT/CAE attention: no qkv bias, learnable q_bias and v_bias (on) — or back to timm's qkv bias (off). */
    public ViTConfig withQvBias(boolean on) {
        return new ViTConfig(name, imgSize, patchSize, inChans, dim, depth, heads, mlpRatio, !on, on,
                layerScaleInit, dropPath, numClasses, pool, posOrder, posLearnable, headInitStd, relPosBias);
    }

    /** No bias at all on q, k, v. */
    public ViTConfig withoutQkvBias() {
        return new ViTConfig(name, imgSize, patchSize, inChans, dim, depth, heads, mlpRatio, false, false,
                layerScaleInit, dropPath, numClasses, pool, posOrder, posLearnable, headInitStd, relPosBias);
    }

    public ViTConfig withLayerScale(double init) {
        return new ViTConfig(name, imgSize, patchSize, inChans, dim, depth, heads, mlpRatio, qkvBias, qvBias,
                init, dropPath, numClasses, pool, posOrder, posLearnable, headInitStd, relPosBias);
    }

    public ViTConfig withMlpRatio(double r) {
        return new ViTConfig(name, imgSize, patchSize, inChans, dim, depth, heads, r, qkvBias, qvBias,
                layerScaleInit, dropPath, numClasses, pool, posOrder, posLearnable, headInitStd, relPosBias);
    }

    /** Same network at another input geometry (patch grid changes, so the position table does too). */
    public ViTConfig withImage(int img, int patch, int chans) {
        return new ViTConfig(name, img, patch, chans, dim, depth, heads, mlpRatio, qkvBias, qvBias,
                layerScaleInit, dropPath, numClasses, pool, posOrder, posLearnable, headInitStd, relPosBias);
    }

    /** BEiT's per-block relative position bias in every attention (fine-tuning only; it needs all 1+L tokens). */
    public ViTConfig withRelPosBias(boolean on) {
        return new ViTConfig(name, imgSize, patchSize, inChans, dim, depth, heads, mlpRatio, qkvBias, qvBias,
                layerScaleInit, dropPath, numClasses, pool, posOrder, posLearnable, headInitStd, on);
    }

    /** The encoder part only: no head, fixed position table (what MAE pretrains). */
    public ViTConfig asEncoder() {
        return withNumClasses(0).withPosLearnable(false).withPool(Pool.CLS).withRelPosBias(false);
    }

    /** One line for logs and summaries, e.g. {@code dim 768, depth 12, heads 12, mlp 3072, qkv bias}. */
    public String describe() {
        StringBuilder s = new StringBuilder();
        s.append("dim ").append(dim).append(", depth ").append(depth).append(", heads ").append(heads)
                .append(" (head dim ").append(headDim()).append("), mlp ").append(mlpHidden());
        s.append(qkvBias ? ", qkv bias" : qvBias ? ", q/v bias (BEiT)" : ", no qkv bias");
        if (layerScaleInit > 0) s.append(", LayerScale ").append(layerScaleInit);
        if (dropPath > 0) s.append(", drop-path ").append(dropPath);
        if (relPosBias) s.append(", relative position bias");
        return s.toString();
    }

    // ------------------------------------------------------------------ presets

    private static final Map<String, ViTConfig> PRESETS = new LinkedHashMap<>();

    private static void add(ViTConfig c) {
        PRESETS.put(c.name(), c);
    }

    private static ViTConfig classifier(String name, int img, int patch, int chans, int dim, int depth, int heads, int classes) {
        return of(img, patch, chans, dim, depth, heads).withName(name).withNumClasses(classes).withPosLearnable(true);
    }

    static {
        // ImageNet classifiers as timm / DeiT / MAE define them: 224×224×3, 1000 classes, cls pooling, learnable
        // position table. Parameter counts are docs/vit.md#presets (5,717,416 / 22,050,664 / 86,567,656 / 304,326,632 /
        // 632,045,800).
        add(classifier("vit-tiny-patch16", 224, 16, 3, 192, 12, 3, 1000));
        add(classifier("vit-small-patch16", 224, 16, 3, 384, 12, 6, 1000));
        add(classifier("vit-base-patch16", 224, 16, 3, 768, 12, 12, 1000));
        add(classifier("vit-large-patch16", 224, 16, 3, 1024, 24, 16, 1000));
        add(classifier("vit-huge-patch14", 224, 14, 3, 1280, 32, 16, 1000));
        // Fashion-MNIST: 28×28×1 with patch 4 gives a 7×7 grid of 49 patches, 10 classes. "tiny" keeps DeiT-Ti's
        // width (192, 3 heads of 64, 12 blocks) so that the encoder of the CPU MAE preset `mae-tiny` loads into
        // it by name for fine-tuning and probing; "small" is DeiT-S's width for a GPU-sized comparison.
        add(classifier("vit-tiny-28", 28, 4, 1, 192, 12, 3, 10));
        add(classifier("vit-small-28", 28, 4, 1, 384, 12, 6, 10));
    }

    /** The preset called {@code name}; the error lists every valid name. */
    public static ViTConfig preset(String name) {
        ViTConfig c = PRESETS.get(name);
        if (c == null) {
            throw new IllegalArgumentException("unknown ViT preset '" + name + "'; valid: " + String.join(", ", presetNames()));
        }
        return c;
    }

    /** Preset names in declaration order. */
    public static List<String> presetNames() {
        return new ArrayList<>(PRESETS.keySet());
    }
}
