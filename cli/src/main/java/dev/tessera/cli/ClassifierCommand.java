package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.eval.BatchAugmentation;
import dev.tessera.eval.ClassifierTrainer;
import dev.tessera.eval.EncoderSource;
import dev.tessera.eval.EvalData;
import dev.tessera.eval.Features;
import dev.tessera.eval.FinetuneRecipe;
import dev.tessera.interop.ModelWeights;
import dev.tessera.interop.WeightExport;
import dev.tessera.vit.VisionTransformer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * What {@code tessera finetune} and {@code tessera train-supervised} share: train a whole ViT classifier
 * (average pooling + fc_norm + head, drop-path, layer decay, label smoothing, AdamW β (0.9, 0.999); docs/mae.md#fine-tuning)
 * on the training split and report top-1 on the test split. They differ only in where the encoder's weights
 * come from (a checkpoint, or none) and in the recipe ({@link FinetuneRecipe#finetune}, {@link FinetuneRecipe#supervised}).
 */
abstract class ClassifierCommand extends EvalCommand {
    @Option(names = "--blr", paramLabel = "LR", description = "Base lr: lr = blr × batch / 256.")
    protected Double blr;

    @Option(names = "--layer-decay", paramLabel = "D", description = "Layer-wise lr decay (1 = none).")
    protected Double layerDecay;

    @Option(names = "--drop-path", paramLabel = "P", description = "Drop-path rate of the last block.")
    protected Double dropPath;

    @Option(names = "--label-smoothing", paramLabel = "E", description = "Label smoothing of the cross-entropy.")
    protected Double labelSmoothing;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "AdamW weight decay.")
    protected Double weightDecay;

    @Option(names = "--warmup-epochs", paramLabel = "E", description = "Linear warmup before the cosine.")
    protected Double warmupEpochs;

    @Option(names = "--mixup", paramLabel = "A", description = "Mixup's Beta(α, α); 0 = off (default 0.8, as MAE's fine-tuning).")
    protected Double mixup;

    @Option(names = "--cutmix", paramLabel = "A", description = "CutMix's Beta(α, α); 0 = off (default 1.0; with mixup, each batch picks one).")
    protected Double cutmix;

    @Option(names = "--reprob", paramLabel = "P", description = "Random-erasing probability per image; 0 = off (default 0.25).")
    protected Double reprob;

    @Option(names = "--rel-pos-bias", negatable = true, description = "BEiT's relative position bias in every block (default: on for"
            + " CAE encoders as the official CAE fine-tuning, off for MAE and random encoders).")
    protected Boolean relPosBias;

    @Option(names = "--save", paramLabel = "FILE", description = "Also write the trained classifier (Tessera names, head and fc_norm"
            + " included; 'tessera export' turns it into timm or HF names). Must not exist.")
    protected Path save;

    /** The recipe before options are applied. */
    protected abstract FinetuneRecipe baseRecipe();

    @Override
    protected boolean augmentTrain() {
        return true;
    }

    @Override
    protected double evaluate(Backend backend, EncoderSource source, EvalData data, Map<String, Object> result, PrintWriter out) {
        FinetuneRecipe r = recipe();
        int classes = Math.max(data.train().numClasses(), data.test().numClasses());
        if (save != null) ExportCommand.prepareOut(spec, save);            // refused before any training
        boolean rpb = relPosBias != null ? relPosBias : source.defaultRelPosBias();
        VisionTransformer vit = source.buildClassifier(classes, r.dropPath(), rpb, backend, seed);
        out.println("training: " + r.epochs() + " epochs, batch " + r.batch() + ", lr " + compact(r.lr()) + " (blr " + compact(r.blr())
                + "), warmup " + compact(r.warmupEpochs()) + ", layer decay " + compact(r.layerDecay()) + ", drop-path "
                + compact(r.dropPath()) + ", label smoothing " + compact(r.labelSmoothing()) + ", weight decay " + compact(r.weightDecay())
                + ", mixup " + compact(r.augmentation().mixupAlpha()) + ", cutmix " + compact(r.augmentation().cutmixAlpha())
                + ", random erasing " + compact(r.augmentation().eraseProb()) + (rpb ? ", relative position bias" : ""));
        ClassifierTrainer.fit(vit, data.train(), r, seed, printer(out));
        result.put("recipe", r);
        result.put("rel_pos_bias", rpb);
        if (save != null) {
            ModelWeights trained = ModelWeights.ofClassifier(vit, source.method(), name() + " classifier (" + r.epochs() + " epochs) of "
                    + source.description());
            WeightExport.write(trained, WeightExport.Format.TESSERA, save);
            result.put("model", save.toAbsolutePath().normalize().toString());
            out.println("classifier: " + save.toAbsolutePath());
        }
        return ClassifierTrainer.accuracy(vit, data.test(), Features.DEFAULT_BATCH);
    }

    /** Three significant digits without trailing zeros: 0.75, 0.1, 0.0005. */
    static String compact(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
    }

    private FinetuneRecipe recipe() {
        FinetuneRecipe r = baseRecipe();
        r = r.withEpochs(epochsOr(r.epochs())).withBatch(batchOr(r.batch()));
        if (blr != null) {
            if (!(blr > 0)) fail("--blr must be positive, got " + blr);
            r = r.withBlr(blr);
        }
        try {
            if (layerDecay != null) r = r.withLayerDecay(layerDecay);
            if (dropPath != null) r = r.withDropPath(dropPath);
            if (labelSmoothing != null) r = r.withLabelSmoothing(labelSmoothing);
            if (weightDecay != null) r = r.withWeightDecay(weightDecay);
            if (warmupEpochs != null) r = r.withWarmupEpochs(warmupEpochs);
            if (mixup != null && !(mixup >= 0)) fail("--mixup must be >= 0 (0 = off), got " + mixup);
            if (cutmix != null && !(cutmix >= 0)) fail("--cutmix must be >= 0 (0 = off), got " + cutmix);
            if (reprob != null && !(reprob >= 0 && reprob <= 1)) fail("--reprob must be in [0, 1], got " + reprob);
            BatchAugmentation a = r.augmentation();
            if (mixup != null) a = a.withMixup(mixup);
            if (cutmix != null) a = a.withCutmix(cutmix);
            if (reprob != null) a = a.withEraseProb(reprob);
            r = r.withAugmentation(a);
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
        }
        return r;
    }
}
