package dev.tessera.eval;

import dev.tessera.data.Batch;
import dev.tessera.data.Dataset;
import dev.tessera.data.Loader;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.ops.Loss;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.CosineSchedule;
import dev.tessera.engine.optim.LayerDecay;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.VisionTransformer;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Trains a whole {@link VisionTransformer} classifier on images with a {@link FinetuneRecipe} (MAE's
 * {@code engine_finetune.train_one_epoch}, docs/mae.md#fine-tuning): shuffled batches, the short last batch dropped, lr set
 * per iteration from the cosine schedule, random erasing and mixup/cutmix of each batch ({@link BatchAugmentation},
 * drawn from (seed, batch index)), one AdamW step per batch with per-layer lr scales, then top-1 on a
 * held-out set in eval mode (no drop-path). Used by {@code tessera finetune} (pretrained encoder) and
 * {@code tessera train-supervised} (random init, layer decay 1).
 */
public final class ClassifierTrainer {
    /** timm 0.3.2's {@code no_weight_decay()} of the ViT: on top of 1-D parameters and biases (docs/mae.md#fine-tuning). */
    static final Set<String> NO_DECAY = Set.of("pos_embed", "cls_token");
    private static final long AUGMENT_STREAM = 0x6d6978L; // "mix"

    private ClassifierTrainer() {}

    /** Trains {@code model} in place; returns each epoch's mean loss. {@code log} (may be null) gets progress lines. */
    public static double[] fit(VisionTransformer model, Dataset train, FinetuneRecipe recipe, long seed, Consumer<String> log) {
        var cfg = model.config();
        if (cfg.numClasses() < train.numClasses()) {
            throw new IllegalArgumentException("the classifier has " + cfg.numClasses() + " outputs but the data has "
                    + train.numClasses() + " classes");
        }
        int iters = Loader.batchCount(train.size(), recipe.batch(), true);
        if (iters == 0) {
            throw new IllegalArgumentException(train.size() + " training images is fewer than one batch of " + recipe.batch()
                    + "; lower --batch");
        }
        Backend be = Features.backendOf(model);
        ParameterStore store = new ParameterStore(be, model);
        LayerDecay decay = new LayerDecay(cfg.depth(), recipe.layerDecay());
        AdamW opt = new AdamW(store, new AdamW.Config(0.9f, 0.999f, 1e-8f, (float) recipe.weightDecay(), NO_DECAY, decay::scale));
        CosineSchedule schedule = new CosineSchedule(recipe.lr(), recipe.minLr(), recipe.warmupEpochs(), recipe.epochs());
        Loader.Options options = new Loader.Options(recipe.batch(), true, seed, 1, true, false);
        double[] epochLoss = new double[recipe.epochs()];
        BatchAugmentation aug = recipe.augmentation();
        Rng augmentRng = new Rng(seed).fork(AUGMENT_STREAM);
        long start = System.nanoTime();
        model.train(true);
        for (int epoch = 0; epoch < recipe.epochs(); epoch++) {
            double sum = 0;
            int it = 0;
            try (Loader loader = new Loader(train, options, epoch)) {
                for (Batch b : loader) {
                    float lr = (float) schedule.lr(epoch, it, iters);
                    try (StepScope _ = be.openScope()) {
                        store.zeroGrad();
                        Rng rng = augmentRng.fork((long) epoch * iters + it);           // a function of (seed, batch)
                        float[] px = aug.eraseProb() > 0 || aug.mixes() ? b.images().clone() : b.images();   // edited in place
                        RandomErasing.apply(px, b.n(), b.c(), b.h(), b.w(), aug.eraseProb(), rng);
                        Mixup.Mixed mix = Mixup.apply(px, b.labels(), b.n(), b.c(), b.h(), b.w(), aug, rng);
                        Tensor logits = model.forward(Tensor.of(be, px, b.n(), b.c(), b.h(), b.w()));
                        float smoothing = (float) recipe.labelSmoothing();
                        Tensor loss = Loss.crossEntropy(logits, Tensor.ofInts(be, mix.labels(), b.n()), smoothing);
                        if (mix.lambda() < 1) {   // CE is linear in the soft target λ·y + (1−λ)·y_mirror
                            loss = loss.mul((float) mix.lambda()).add(Loss.crossEntropy(logits,
                                    Tensor.ofInts(be, mix.mirrorLabels(), b.n()), smoothing).mul((float) (1 - mix.lambda())));
                        }
                        float v = loss.item();
                        if (!Float.isFinite(v)) {
                            throw new IllegalStateException(String.format(Locale.ROOT,
                                    "loss is %s at epoch %d, iteration %d (lr %.3g); lower --blr", v, epoch, it, lr));
                        }
                        loss.backward();
                        opt.step(lr);
                        sum += v;
                    }
                    it++;
                }
            }
            epochLoss[epoch] = sum / iters;
            if (log != null) {
                double sec = (System.nanoTime() - start) / 1e9;
                log.accept(String.format(Locale.ROOT, "epoch %d/%d  loss %.4f  %.1f img/s", epoch + 1, recipe.epochs(),
                        epochLoss[epoch], (epoch + 1) * (double) iters * recipe.batch() / sec));
            }
        }
        model.train(false);
        return epochLoss;
    }

    /** Top-1 accuracy (percent) of {@code model} on {@code test}, in eval mode, {@code batch} images per pass. */
    public static double accuracy(VisionTransformer model, Dataset test, int batch) {
        Backend be = Features.backendOf(model);
        int[] predicted = new int[test.size()], labels = new int[test.size()];
        boolean was = model.isTraining();
        model.train(false);
        try (var _ = GradMode.noGrad(); Loader loader = new Loader(test, Features.loaderOptions(batch), 0)) {
            int at = 0;
            for (Batch b : loader) {
                try (StepScope _ = be.openScope()) {
                    Tensor logits = model.forward(Tensor.of(be, b.images(), b.n(), b.c(), b.h(), b.w()));
                    System.arraycopy(Accuracy.argmax(logits.toArray(), b.n(), logits.dim(1)), 0, predicted, at, b.n());
                }
                System.arraycopy(b.labels(), 0, labels, at, b.n());
                at += b.n();
            }
        } finally {
            model.train(was);
        }
        return Accuracy.percent(predicted, labels);
    }
}
