package dev.tessera.eval;

import dev.tessera.data.Dataset;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.mae.MaeConfig;
import dev.tessera.mae.MaskedAutoencoder;
import dev.tessera.train.DataSource;
import dev.tessera.train.MaeObjective;
import dev.tessera.train.Pictures;
import dev.tessera.train.RunDirectory;
import dev.tessera.train.TrainResult;
import dev.tessera.train.TrainSettings;
import dev.tessera.train.Trainer;
import dev.tessera.vit.Pool;
import dev.tessera.vit.VisionTransformer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tessera demo}, the README's first command: pre-train an MAE for a fixed budget, then measure what it
 * learned against no-learning baselines, in one go on a laptop-class CPU.
 * <pre>
 *   1. baselines without an encoder: linear probe (and kNN) on raw pixels; the visible-mean fill's masked MSE
 *   2. a random encoder of the same shape: features of the probe's training subset and of the test set,
 *      kNN-20 and linear probe — timing this pass also measures the machine's forward speed
 *   3. pre-train (the {@link Trainer}, run directory {@code OUT/pretrain}) for the budget; the number of steps is
 *      planned from the measured speed so that the cosine schedule ends on time (the time limit stays as a guard)
 *   4. the pre-trained model: masked-patch MSE on the test set with fixed masks, then its encoder (loaded from
 *      the checkpoint, as {@code tessera linprobe} would) through the same kNN and probe
 *   5. OUT/summary.json (exactly the keys below), OUT/demo.json (details and timings), a table on stdout
 * </pre>
 * summary.json: {@code {"masked_mse": {"pretrained", "visible_mean_baseline"}, "knn": {"pretrained", "random"},
 * "linprobe": {"pretrained", "random"}, "pixels_linprobe", "minutes"}} — accuracies are top-1 percentages on the
 * test images, minutes the whole demo's wall time. The masked MSE of the model is in its target space (norm-pix
 * for the presets) while the visible-mean baseline is in the dataset-normalised image space (the definition that
 * reproduces docs/baselines.md's 0.935; see {@link MaskedPatchMse}); demo.json adds the norm-pix constant baseline,
 * the like-for-like reference.
 *
 * <p>Nothing here is tuned to make pre-training look good: a few minutes of MAE is not expected to beat a random
 * encoder on kNN or linear probing of Fashion-MNIST (docs/baselines.md: it does not after one epoch), and the table
 * prints whatever comes out.
 */
public final class Demo {

    /**
     * @param model            the MAE to pre-train
     * @param pretrainMinutes  the pre-training budget (wall time)
     * @param batch            pre-training batch
     * @param blr              pre-training base lr (lr = blr × batch / 256)
     * @param trainCost        cost of one training image relative to one full-token encoder forward, used to plan the
     *                         steps from the measured forward speed. mae-tiny on the CPU backend: 1.1–1.4 measured
     *                         (the encoder sees 13 of 50 tokens, backward doubles that, the decoder is narrow; the
     *                         trainer's checkpoint and pictures add a little); 1.4 so that the plan ends inside the
     *                         budget rather than being cut by the time limit before the cosine reaches 0
     * @param evalTrain        training images the probe and kNN are fitted on (a random subset)
     * @param evalTest         test images evaluated (0: all)
     * @param probe            the linear probe's recipe
     * @param seed             seed of everything (masks for the masked MSE use a fixed seed of their own)
     */
    public record Settings(MaeConfig model, double pretrainMinutes, int batch, double blr, double trainCost, int evalTrain,
                           int evalTest, ProbeRecipe probe, long seed) {
        public Settings {
            if (!(pretrainMinutes > 0)) throw new IllegalArgumentException("the pre-training budget must be positive, got " + pretrainMinutes + " min");
            if (batch < 2 || !(blr > 0) || !(trainCost > 0)) {
                throw new IllegalArgumentException("need batch >= 2, blr > 0, train cost > 0; got " + batch + ", " + blr + ", " + trainCost);
            }
            if (evalTrain < KnnClassifier.DEFAULT_K) throw new IllegalArgumentException("kNN-20 needs at least 20 training images, got " + evalTrain);
        }

        /**
         * The README's demo: mae-tiny; batch 64 at blr 1.5e-3 (lr 3.75e-4: a few hundred steps need a larger lr
         * than the 800-epoch recipe's 1.5e-4); probe/kNN fitted on 10k training images, evaluated on all 10k test
         * images; the linear probe's default recipe. Batch 64 rather than 256: on a short budget more, smaller
         * steps reach a lower loss for the same images (measured: 15k images at batch 64 vs 128, masked MSE 0.605
         * vs 0.609), and a training step of mae-tiny keeps ~0.5 GB of activations and gradients at 64 against
         * ~1.1 GB at 128, so the demo runs in the 2 GB heap a JVM gets by default on an 8 GB laptop.
         */
        public static Settings defaults(double pretrainMinutes, long seed) {
            return new Settings(MaeConfig.preset("mae-tiny"), pretrainMinutes, 64, 1.5e-3, 1.4, 10_000, 0, LinearProbe.recipe(), seed);
        }
    }

    /** Every number the demo measures. Accuracies in percent; seconds of wall time per phase. */
    public record Result(double maskedMsePretrained, double visibleMeanBaseline, double normPixConstantBaseline,
                         double knnPretrained, double knnRandom, double knnPixels,
                         double linprobePretrained, double linprobeRandom, double linprobePixels,
                         int pretrainSteps, double finalLoss, double minutes, Map<String, Double> seconds, Path runDir) {

        /** summary.json, exactly the agreed keys. */
        public Map<String, Object> summary() {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("masked_mse", ordered("pretrained", round(maskedMsePretrained, 4), "visible_mean_baseline", round(visibleMeanBaseline, 4)));
            s.put("knn", ordered("pretrained", round(knnPretrained, 2), "random", round(knnRandom, 2)));
            s.put("linprobe", ordered("pretrained", round(linprobePretrained, 2), "random", round(linprobeRandom, 2)));
            s.put("pixels_linprobe", round(linprobePixels, 2));
            s.put("minutes", round(minutes, 2));
            return s;
        }

        private static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(k1, v1);
            m.put(k2, v2);
            return m;
        }

        private static double round(double v, int digits) {
            double f = Math.pow(10, digits);
            return Math.round(v * f) / f;
        }
    }

    private final Backend backend;
    private final Dataset train, test;
    private final Settings settings;
    private final PrintWriter out;
    private final boolean terminal;
    private DataSource source;
    private String sourceDescription;

    /**
     * @param train    the pre-training set (the whole training split); the probe's subset is drawn from it
     * @param test     the evaluation set (the test split)
     * @param terminal whether {@code out} is a terminal (the trainer then redraws one progress line)
     */
    public Demo(Backend backend, Dataset train, Dataset test, Settings settings, PrintWriter out, boolean terminal) {
        this.backend = backend;
        this.train = train;
        this.test = test;
        this.settings = settings;
        this.out = out;
        this.terminal = terminal;
    }

    /** What the pre-training run's config.json records as its data (else "a dataset given in code"). */
    public Demo dataSource(DataSource d, String description) {
        this.source = d;
        this.sourceDescription = description;
        return this;
    }

    /** Runs the demo into {@code outDir} (which must not hold a run yet) and returns its numbers. */
    public Result run(Path outDir) {
        long start = System.nanoTime();
        Map<String, Double> seconds = new LinkedHashMap<>();
        var enc = settings.model().encoder();
        int patch = enc.patchSize(), fb = Features.DEFAULT_BATCH;
        double ratio = settings.model().maskRatio();
        Dataset probeTrain = Subset.random(train, settings.evalTrain(), settings.seed());
        Dataset evalTest = Subset.random(test, settings.evalTest(), settings.seed() + 1);
        KnnClassifier knn = KnnClassifier.dino();
        say("fitting on %d training images, evaluating on %d test images", probeTrain.size(), evalTest.size());

        // ---- 1. no encoder
        long t = System.nanoTime();
        PixelBaselines pixels = PixelBaselines.measure(backend, probeTrain, evalTest, settings.probe(), settings.seed());
        double knnPixels = pixels.knn(), probePixels = pixels.linearProbe();
        double visibleMean = MaskedPatchMse.visibleMeanBaseline(evalTest, patch, ratio, MaskedPatchMse.MASK_SEED);
        double normPixConstant = MaskedPatchMse.normPixConstantBaseline(evalTest, patch, ratio, MaskedPatchMse.MASK_SEED);
        seconds.put("pixel_baselines", since(t));
        say("raw pixels: kNN %.2f%%, linear probe %.2f%%; masked MSE of the visible-mean fill %.4f", knnPixels, probePixels, visibleMean);

        // ---- 2. random encoder (also measures the forward speed)
        t = System.nanoTime();
        VisionTransformer random = new VisionTransformer(enc, backend, new Rng(settings.seed() + 17));
        random.train(false);
        FeatureSet rTrain = Features.pooled(random, probeTrain, Pool.CLS, fb, new ExtractionProgress(out, "random encoder, train features", probeTrain.size()));
        FeatureSet rTest = Features.pooled(random, evalTest, Pool.CLS, fb, new ExtractionProgress(out, "random encoder, test features", evalTest.size()));
        double forwardRate = (probeTrain.size() + evalTest.size()) / Math.max(1e-3, (System.nanoTime() - t) / 1e9);
        double knnRandom = knn.accuracy(backend, rTrain, rTest);
        double probeRandom = probe(rTrain, rTest, "random encoder");
        seconds.put("random_encoder", since(t));
        say("random encoder: kNN %.2f%%, linear probe %.2f%% (forward pass %.0f img/s)", knnRandom, probeRandom, forwardRate);

        // ---- 3. pre-train
        t = System.nanoTime();
        int steps = plannedSteps(forwardRate);
        TrainSettings ts = TrainSettings.forMethod("mae").toBuilder().batchSize(settings.batch()).blr(settings.blr()).steps(steps)
                .seed(settings.seed()).timeLimitMinutes(settings.pretrainMinutes()).checkpointEvery(steps).build();
        say("pre-training %s for %.3g min: %d steps of %d images planned from the measured speed", settings.model().name(),
                settings.pretrainMinutes(), steps, settings.batch());
        MaeObjective objective = MaeObjective.create(settings.model(), backend, settings.seed());
        Path runDir = outDir.resolve("pretrain");
        Trainer trainer = new Trainer(objective, train, ts).heldOut(test).output(runDir).listen(new Pictures()).log(out, terminal);
        if (source != null) trainer.source(source, sourceDescription, java.util.List.of("demo"));
        TrainResult r = trainer.run();
        seconds.put("pretrain", since(t));

        // ---- 4. pre-trained model
        t = System.nanoTime();
        MaskedAutoencoder mae = objective.model();
        // batch 128: one MAE forward keeps every temporary until its scope closes (~450 MB for mae-tiny at 128)
        double maskedMse = MaskedPatchMse.model(mae, evalTest, ratio, MaskedPatchMse.MASK_SEED, 128);
        seconds.put("masked_mse", since(t));
        say("masked-patch MSE of the pre-trained MAE: %.4f", maskedMse);
        t = System.nanoTime();
        EncoderSource source = EncoderSource.fromCheckpoint(r.runDir().resolve(RunDirectory.CHECKPOINT), null);
        VisionTransformer pretrained = source.buildEncoder(backend, settings.seed());
        FeatureSet pTrain = Features.pooled(pretrained, probeTrain, Pool.CLS, fb, new ExtractionProgress(out, "pre-trained encoder, train features", probeTrain.size()));
        FeatureSet pTest = Features.pooled(pretrained, evalTest, Pool.CLS, fb, new ExtractionProgress(out, "pre-trained encoder, test features", evalTest.size()));
        double knnPretrained = knn.accuracy(backend, pTrain, pTest);
        double probePretrained = probe(pTrain, pTest, "pre-trained encoder");
        seconds.put("pretrained_encoder", since(t));

        double minutes = (System.nanoTime() - start) / 60e9;
        Result result = new Result(maskedMse, visibleMean, normPixConstant, knnPretrained, knnRandom, knnPixels, probePretrained,
                probeRandom, probePixels, r.steps(), r.finalLoss(), minutes, seconds, r.runDir());
        ResultFile.write(outDir.resolve("summary.json"), result.summary());
        ResultFile.write(outDir.resolve("demo.json"), details(result, r, forwardRate));
        printTable(result, r, outDir);
        return result;
    }

    /** Steps that fill the budget at the measured speed: budget · (forward img/s ÷ training cost) ÷ batch, at least 1. */
    int plannedSteps(double forwardImagesPerSecond) {
        double images = settings.pretrainMinutes() * 60 * forwardImagesPerSecond / settings.trainCost();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.floor(images / settings.batch())));
    }

    private double probe(FeatureSet tr, FeatureSet te, String what) {
        return LinearProbe.score(backend, tr, te, settings.probe(), settings.seed());
    }

    private Map<String, Object> details(Result res, TrainResult r, double forwardRate) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("model", settings.model().name());
        d.put("pretrain", ordered("budget_minutes", settings.pretrainMinutes(), "batch", settings.batch(), "blr", settings.blr(),
                "steps_done", r.steps(), "steps_planned", r.totalSteps(), "stopped_by_time_limit", !r.finished(),
                "final_loss", r.finalLoss(), "img_per_s", r.imagesPerSecond(), "run_dir", r.runDir().toString()));
        d.put("masked_mse", ordered("pretrained", res.maskedMsePretrained(), "space", settings.model().normPixLoss()
                        ? "per-patch normalised pixels (norm-pix target)" : "dataset-normalised pixels",
                "visible_mean_baseline", res.visibleMeanBaseline(), "visible_mean_space", "dataset-normalised pixels",
                "normpix_constant_baseline", res.normPixConstantBaseline(), "mask_ratio", settings.model().maskRatio(),
                "mask_seed", MaskedPatchMse.MASK_SEED));
        d.put("knn", ordered("pretrained", res.knnPretrained(), "random", res.knnRandom(), "pixels", res.knnPixels(), "k",
                KnnClassifier.DEFAULT_K, "temperature", KnnClassifier.DEFAULT_TEMPERATURE));
        d.put("linprobe", ordered("pretrained", res.linprobePretrained(), "random", res.linprobeRandom(), "pixels", res.linprobePixels(),
                "recipe", settings.probe()));
        d.put("eval_images", ordered("train", Math.min(settings.evalTrain(), train.size()),
                "test", settings.evalTest() <= 0 ? test.size() : Math.min(settings.evalTest(), test.size())));
        d.put("forward_img_per_s", forwardRate);
        d.put("seconds", res.seconds());
        d.put("minutes", res.minutes());
        d.put("device", backend.name());
        d.put("seed", settings.seed());
        return d;
    }

    /** A map that keeps the order of its key, value pairs (JSON reads in that order). */
    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private void printTable(Result res, TrainResult r, Path outDir) {
        out.println();
        out.println(String.format(Locale.ROOT, "Tessera demo — %s pre-trained %d steps (%s), final loss %.4f; %.1f min in all",
                settings.model().name(), r.steps(), r.finished() ? "as planned" : "stopped by the time limit", r.finalLoss(), res.minutes()));
        out.println();
        out.println("                                   pre-trained   random encoder   raw pixels");
        out.println(String.format(Locale.ROOT, "  kNN-20 top-1 (%%)                  %8.2f        %8.2f       %8.2f", res.knnPretrained(),
                res.knnRandom(), res.knnPixels()));
        out.println(String.format(Locale.ROOT, "  linear probe top-1 (%%)            %8.2f        %8.2f       %8.2f", res.linprobePretrained(),
                res.linprobeRandom(), res.linprobePixels()));
        out.println();
        out.println(String.format(Locale.ROOT, "  masked-patch MSE, %.0f%% fixed masks:  pre-trained MAE %.4f (%s)",
                100 * settings.model().maskRatio(), res.maskedMsePretrained(), settings.model().normPixLoss() ? "norm-pix space" : "pixel space"));
        out.println(String.format(Locale.ROOT, "      baselines: visible-mean fill %.4f (normalised-pixel space, docs/baselines.md's 0.935);"
                + " any constant patch in norm-pix space %.4f", res.visibleMeanBaseline(), res.normPixConstantBaseline()));
        out.println();
        out.println("  reconstructions: " + r.runDir().resolve(RunDirectory.RECON_PNG));
        out.println("  loss curve:      " + r.runDir().resolve(RunDirectory.LOSS_PNG));
        out.println("  summary:         " + outDir.resolve("summary.json") + " (details: demo.json; checkpoint: "
                + r.runDir().resolve(RunDirectory.CHECKPOINT) + ")");
        out.flush();
    }

    private void say(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
        out.flush();
    }

    private static double since(long startNanos) {
        return Math.round((System.nanoTime() - startNanos) / 1e8) / 10.0;
    }
}
