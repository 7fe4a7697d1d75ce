package dev.tessera.eval;

/**
 * How a whole ViT classifier is trained on images: MAE's end-to-end fine-tuning (docs/mae.md#fine-tuning) and, with layer
 * decay 1, the from-scratch supervised baseline. AdamW β (0.9, 0.999), eps 1e-8, weight decay on every matrix
 * (not on 1-D parameters, biases, {@code pos_embed} and {@code cls_token}); lr = blr × batch / 256, linear
 * warmup then half-cosine to {@code minLr}, per iteration; cross-entropy with label smoothing; drop-path
 * spread linearly over the blocks.
 *
 * <p>Data-side regularisers: {@link BatchAugmentation} — MAE's random erasing (0.25) and mixup 0.8 / cutmix 1.0
 * by default, as main_finetune.py. RandAugment is per image, in the data pipeline of an image folder
 * ({@code ImageTransform.finetune}).
 *
 * @param blr            base lr per 256 images
 * @param layerDecay     lr multiplier decay per layer from the head down (1 = none), {@link dev.tessera.engine.optim.LayerDecay}
 * @param labelSmoothing ε of the smoothed cross-entropy
 * @param dropPath       the deepest block's drop-path rate
 * @param augmentation   random erasing and mixup/cutmix of each training batch
 */
public record FinetuneRecipe(int epochs, int batch, double blr, double warmupEpochs, double minLr, double weightDecay,
                             double layerDecay, double labelSmoothing, double dropPath, BatchAugmentation augmentation) {

    public FinetuneRecipe {
        if (epochs <= 0 || batch <= 0) throw new IllegalArgumentException("need epochs > 0 and batch > 0, got " + epochs + ", " + batch);
        if (!(blr > 0) || !(minLr >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("need blr > 0, min lr >= 0, weight decay >= 0; got " + blr + ", " + minLr + ", " + weightDecay);
        }
        if (!(warmupEpochs >= 0 && warmupEpochs < epochs)) {
            throw new IllegalArgumentException("warmup " + warmupEpochs + " must be in [0, epochs = " + epochs + ")");
        }
        if (!(layerDecay > 0 && layerDecay <= 1)) throw new IllegalArgumentException("layer decay " + layerDecay + " must be in (0, 1]");
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new IllegalArgumentException("label smoothing " + labelSmoothing + " must be in [0, 1)");
        if (!(dropPath >= 0 && dropPath < 1)) throw new IllegalArgumentException("drop-path " + dropPath + " must be in [0, 1)");
        if (augmentation == null) augmentation = BatchAugmentation.none();
    }

    /**
     * Fine-tuning defaults: the ViT-B row of MAE's repo script (blr 5e-4, layer decay 0.65, drop-path 0.1,
     * label smoothing 0.1, weight decay 0.05, min lr 1e-6, mixup 0.8, cutmix 1.0, random erasing 0.25) with the
     * length scaled down from 100 epochs with 5 warmup to 10 epochs with 1 warmup, and batch 256 (lr 5e-4)
     * instead of 1024.
     */
    public static FinetuneRecipe finetune() {
        return new FinetuneRecipe(10, 256, 5e-4, 1, 1e-6, 0.05, 0.65, 0.1, 0.1, BatchAugmentation.mae());
    }

    /**
     * The from-scratch baseline: the same recipe (DeiT's regularisers are MAE's) without layer decay (every layer
     * is new) and at blr 1e-3, the lr timm/DeiT-style ViT training uses at batch 256 (DeiT: 5e-4 × batch/512).
     */
    public static FinetuneRecipe supervised() {
        return new FinetuneRecipe(10, 256, 1e-3, 1, 1e-6, 0.05, 1.0, 0.1, 0.1, BatchAugmentation.mae());
    }

    /** lr = blr × batch / 256 (MAE's scaling rule). */
    public double lr() {
        return blr * batch / 256.0;
    }

    public FinetuneRecipe withEpochs(int e) {
        return new FinetuneRecipe(e, batch, blr, Math.min(warmupEpochs, e - 1), minLr, weightDecay, layerDecay, labelSmoothing, dropPath, augmentation);
    }

    public FinetuneRecipe withBatch(int b) {
        return new FinetuneRecipe(epochs, b, blr, warmupEpochs, minLr, weightDecay, layerDecay, labelSmoothing, dropPath, augmentation);
    }

    public FinetuneRecipe withBlr(double v) {
        return new FinetuneRecipe(epochs, batch, v, warmupEpochs, minLr, weightDecay, layerDecay, labelSmoothing, dropPath, augmentation);
    }

    public FinetuneRecipe withWarmupEpochs(double v) {
        return new FinetuneRecipe(epochs, batch, blr, v, minLr, weightDecay, layerDecay, labelSmoothing, dropPath, augmentation);
    }

    public FinetuneRecipe withLayerDecay(double v) {
        return new FinetuneRecipe(epochs, batch, blr, warmupEpochs, minLr, weightDecay, v, labelSmoothing, dropPath, augmentation);
    }

    public FinetuneRecipe withLabelSmoothing(double v) {
        return new FinetuneRecipe(epochs, batch, blr, warmupEpochs, minLr, weightDecay, layerDecay, v, dropPath, augmentation);
    }

    public FinetuneRecipe withDropPath(double v) {
        return new FinetuneRecipe(epochs, batch, blr, warmupEpochs, minLr, weightDecay, layerDecay, labelSmoothing, v, augmentation);
    }

    public FinetuneRecipe withWeightDecay(double v) {
        return new FinetuneRecipe(epochs, batch, blr, warmupEpochs, minLr, v, layerDecay, labelSmoothing, dropPath, augmentation);
    }

    public FinetuneRecipe withAugmentation(BatchAugmentation a) {
        return new FinetuneRecipe(epochs, batch, blr, warmupEpochs, minLr, weightDecay, layerDecay, labelSmoothing, dropPath, a);
    }
}
