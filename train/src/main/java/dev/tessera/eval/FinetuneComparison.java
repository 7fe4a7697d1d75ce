package dev.tessera.eval;

import dev.tessera.data.Dataset;
import dev.tessera.engine.backend.Backend;
import dev.tessera.train.DataSource;
import dev.tessera.train.Objective;
import dev.tessera.train.RunDirectory;
import dev.tessera.train.TrainResult;
import dev.tessera.vit.VisionTransformer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tessera compare --finetune}: the MAE and CAE papers' central result in miniature — does pre-training make
 * end-to-end fine-tuning better than training the same network from scratch?
 * <pre>
 *   1. pre-train each arm (MAE, CAE) for the same wall time, exactly as {@link MethodComparison} does (one timed
 *      calibration for all arms, steps planned to fill the budget, batch, base lr, seed and data order shared)
 *   2. fine-tune each pre-trained encoder end to end ({@link ClassifierTrainer}, {@link FinetuneRecipe#finetune} with
 *      this comparison's length and batch: average pooling + fc_norm, layer decay, drop-path, label smoothing)
 *   3. train an encoder of the first arm's shape from random initialisation with the same loop, length, batch and
 *      regularisers ({@link FinetuneRecipe#supervised}: no layer decay and the from-scratch lr, as train-supervised)
 *   4. top-1 of all three on the test images: OUT/finetune.json, OUT/finetune.md (the README's table), stdout
 * </pre>
 * Every arm fine-tunes on the same random subset of the training images, in the same order (same seed), for the same
 * number of epochs: the fine-tuning budget is images, not minutes, so the arms cannot differ by speed there.
 */
public final class FinetuneComparison {

    /**
     * @param pretraining the pre-training arms and budget (MAE and CAE by default); its probe settings are unused
     * @param finetune    the recipe for pre-trained encoders
     * @param supervised  the recipe for the random-init baseline (same epochs, batch and regularisers)
     * @param trainImages training images every arm fine-tunes on (a random subset; 0: all)
     * @param testImages  test images scored (0: all)
     */
    public record Settings(MethodComparison.Settings pretraining, FinetuneRecipe finetune, FinetuneRecipe supervised, int trainImages,
                           int testImages) {
        public Settings {
            if (trainImages < 0 || testImages < 0) throw new IllegalArgumentException("image counts must be 0 (all) or positive");
            if (finetune.epochs() != supervised.epochs() || finetune.batch() != supervised.batch()) {
                throw new IllegalArgumentException("fine-tuning and the from-scratch baseline need the same epochs and batch");
            }
        }

        /**
         * The README's measurement: MAE and CAE ({@code mae-tiny}, {@code cae-tiny}) pre-trained for {@code minutes} each at
         * batch 64 (the comparison's), then {@code epochs} epochs on {@code trainImages} training images at batch 64 for
         * every arm. Mixup, cutmix and random erasing are off: made for 100-epoch runs, they cost a short run accuracy
         * (README: 64.1% without vs 60.3% with them after 2 epochs on 5,000 images).
         */
        public static Settings defaults(double minutes, int epochs, int trainImages, long seed) {
            MethodComparison.Settings d = MethodComparison.Settings.defaults(minutes, seed);
            MethodComparison.Settings p = new MethodComparison.Settings(d.arms().subList(0, 2), minutes, d.batch(), d.blr(), d.calibrationSteps(),
                    d.evalTrain(), d.evalTest(), d.probe(), seed);
            return new Settings(p, shortRun(FinetuneRecipe.finetune(), epochs), shortRun(FinetuneRecipe.supervised(), epochs), trainImages, 0);
        }

        private static FinetuneRecipe shortRun(FinetuneRecipe r, int epochs) {
            return r.withEpochs(epochs).withBatch(64).withAugmentation(BatchAugmentation.none());
        }
    }

    /** One row: what the encoder started from, its pre-training, and its fine-tuning. */
    public record Row(String label, String start, int pretrainSteps, double pretrainMinutes, FinetuneRecipe recipe, double finetuneMinutes,
                      double[] epochLoss, double top1, Path runDir) {}

    /** All rows, pre-trained arms first, random initialisation last. */
    public record Result(List<Row> rows, int trainImages, int testImages, double minutes) {}

    private final Backend backend;
    private final Dataset train, test;
    private final Settings settings;
    private final MethodComparison pretraining;

    public FinetuneComparison(Backend backend, Dataset train, Dataset test, Settings settings, PrintWriter out, boolean terminal) {
        this.backend = backend;
        this.train = train;
        this.test = test;
        this.settings = settings;
        this.pretraining = new MethodComparison(backend, train, test, settings.pretraining(), out, terminal);
    }

    /** What the pre-training runs' config.json records as their data (see {@link MethodComparison#dataSource}). */
    public FinetuneComparison dataSource(DataSource d, String description) {
        pretraining.dataSource(d, description);
        return this;
    }

    /** Pre-trains every arm into OUT/&lt;arm&gt;, fine-tunes everything, writes OUT/finetune.json and OUT/finetune.md. */
    public Result run(Path outDir) {
        long start = System.nanoTime();
        long seed = settings.pretraining().seed();
        Dataset ftTrain = settings.trainImages() == 0 ? train : Subset.random(train, settings.trainImages(), seed);
        Dataset ftTest = settings.testImages() == 0 ? test : Subset.random(test, settings.testImages(), seed + 1);
        List<MethodComparison.Arm> arms = settings.pretraining().arms();
        pretraining.say("fine-tuning comparison: %s pre-trained %.3g min each, then %d epochs on %d training images; and a random encoder",
                String.join(" and ", arms.stream().map(MethodComparison.Arm::label).toList()), settings.pretraining().minutes(),
                settings.finetune().epochs(), ftTrain.size());

        double[] rates = pretraining.calibrate();
        List<Row> rows = new ArrayList<>();
        EncoderSource randomShape = null;
        for (int i = 0; i < arms.size(); i++) {
            MethodComparison.Arm arm = arms.get(i);
            Path runDir = outDir.resolve(MethodComparison.slug(arm.label()));
            pretraining.say("== %s: %s", arm.label(), arm.model().describe());
            Objective objective = arm.model().build(backend, seed);
            if (randomShape == null) randomShape = EncoderSource.fromModel(arm.model(), objective.model(), "").asRandom();
            TrainResult r = pretraining.pretrain(arm, objective, rates[i], runDir);
            EncoderSource encoder = EncoderSource.fromCheckpoint(runDir.resolve(RunDirectory.CHECKPOINT), null);
            String from = String.format(Locale.ROOT, "%s after %,d steps × %d", arm.model().describe(), r.steps(), settings.pretraining().batch());
            rows.add(finetune(arm.label(), from, r.steps(), r.minutes(), encoder, settings.finetune(), ftTrain, ftTest, runDir));
        }
        rows.add(finetune("random init", "random initialisation (" + arms.getFirst().model().name() + "'s encoder)", 0, 0, randomShape,
                settings.supervised(), ftTrain, ftTest, null));
        Result result = new Result(rows, ftTrain.size(), ftTest.size(), (System.nanoTime() - start) / 60e9);
        pretraining.publish(outDir, "finetune.json", json(result), "finetune.md", table(result), "pre-training runs");
        return result;
    }

    private Row finetune(String label, String start, int steps, double pretrainMinutes, EncoderSource encoder, FinetuneRecipe recipe,
                         Dataset ftTrain, Dataset ftTest, Path runDir) {
        long seed = settings.pretraining().seed();
        pretraining.say("%s: fine-tuning %d epochs on %d images (batch %d, lr %.3g, layer decay %.3g)", label, recipe.epochs(), ftTrain.size(),
                recipe.batch(), recipe.lr(), recipe.layerDecay());
        long t0 = System.nanoTime();
        VisionTransformer vit = encoder.buildClassifier(Math.max(ftTrain.numClasses(), ftTest.numClasses()), recipe.dropPath(), backend, seed);
        double[] losses = ClassifierTrainer.fit(vit, ftTrain, recipe, seed, line -> pretraining.say("  %s", line));
        double top1 = ClassifierTrainer.accuracy(vit, ftTest, Features.DEFAULT_BATCH);
        double minutes = (System.nanoTime() - t0) / 60e9;
        pretraining.say("%s fine-tuned: top-1 %.2f%% on %d test images (%.1f min)", label, top1, ftTest.size(), minutes);
        return new Row(label, start, steps, pretrainMinutes, recipe, minutes, losses, top1, runDir);
    }

    /** The README table: one row per encoder; the recipes differ only where the caption says. */
    String table(Result r) {
        FinetuneRecipe ft = settings.finetune(), sup = settings.supervised();
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "Pre-training %.3g min per method on %s (batch %d, blr %.3g, seed %d); fine-tuning %d epochs on %,d"
                        + " training images, batch %d, warmup %s, drop-path %s, label smoothing %s, mixup %s, cutmix %s, random erasing %s;"
                        + " pre-trained encoders: blr %s, layer decay %s; random init: blr %s, layer decay %s. Top-1 (%%) on %,d test images.%n%n",
                settings.pretraining().minutes(), backend.name(), settings.pretraining().batch(), settings.pretraining().blr(),
                settings.pretraining().seed(), ft.epochs(), r.trainImages(), ft.batch(), num(ft.warmupEpochs()), num(ft.dropPath()),
                num(ft.labelSmoothing()), num(ft.augmentation().mixupAlpha()), num(ft.augmentation().cutmixAlpha()),
                num(ft.augmentation().eraseProb()), num(ft.blr()), num(ft.layerDecay()), num(sup.blr()), num(sup.layerDecay()), r.testImages()));
        t.append("| encoder | starts from | pre-training minutes | fine-tuning minutes | final fine-tuning loss | top-1 (%) |\n");
        t.append("|---|---|---:|---:|---:|---:|\n");
        for (Row row : r.rows()) {
            t.append(String.format(Locale.ROOT, "| %s | %s | %s | %.1f | %.4f | **%.2f** |%n", row.label(), row.start(),
                    row.pretrainSteps() > 0 ? String.format(Locale.ROOT, "%.1f", row.pretrainMinutes()) : "—", row.finetuneMinutes(),
                    row.epochLoss()[row.epochLoss().length - 1], row.top1()));
        }
        return t.toString();
    }

    private static String num(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
    }

    private Map<String, Object> json(Result r) {
        Map<String, Object> j = MethodComparison.ordered("pretrain_minutes_per_arm", settings.pretraining().minutes(), "pretrain_batch",
                settings.pretraining().batch(), "pretrain_blr", settings.pretraining().blr(), "seed", settings.pretraining().seed(),
                "finetune_train_images", r.trainImages(), "test_images", r.testImages(), "finetune_recipe", settings.finetune(),
                "supervised_recipe", settings.supervised(), "device", backend.name(), "minutes", r.minutes());
        List<Object> rows = new ArrayList<>();
        for (Row row : r.rows()) {
            rows.add(MethodComparison.ordered("label", row.label(), "start", row.start(), "pretrain_steps", row.pretrainSteps(),
                    "pretrain_minutes", row.pretrainMinutes(), "finetune_minutes", row.finetuneMinutes(), "epoch_loss", row.epochLoss(),
                    "top1", MethodComparison.round(row.top1()), "run_dir", row.runDir() == null ? null : row.runDir().toString()));
        }
        j.put("rows", rows);
        return j;
    }
}
