package dev.tessera.eval;

import dev.tessera.cae.CaeConfig;
import dev.tessera.data.Dataset;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.io.TensorData;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.DataSource;
import dev.tessera.train.ModelSpec;
import dev.tessera.train.Objective;
import dev.tessera.train.Pictures;
import dev.tessera.train.RunDirectory;
import dev.tessera.train.TrainResult;
import dev.tessera.train.TrainSettings;
import dev.tessera.train.Trainer;
import dev.tessera.vit.Pool;
import dev.tessera.vit.VisionTransformer;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tessera compare}: pre-train several methods for the same CPU budget and evaluate what each encoder
 * learned against the encoder it started from. The README's MAE-vs-CAE table is this class's output.
 * <pre>
 *   arms (by default: MAE, CAE, and CAE with λ = 0, the alignment ablation of the CAE paper's Table 6)
 *   0. the raw pixels: kNN-20 and the linear probe, the no-encoder reference
 *   1. calibrate: a throw-away copy of every arm trains a few steps to warm up, then each a few more, timed; an
 *      arm's real run has budget × its images/s ÷ batch steps, so that every arm's cosine schedule ends on time
 *      (the time limit, budget × 1.1, stays as a guard; the table marks a run it cut)
 *   2. for each arm:
 *      a. the encoder as initialised, copied before training: the arm's baseline. Arms that start from the same
 *         encoder (CAE and its λ = 0 ablation: same shape, same seed) share one baseline, checked tensor by tensor
 *      b. pre-train with the {@link Trainer} into OUT/&lt;arm&gt; (checkpoint, recon.png, loss.png as usual)
 *      c. the encoder read back from the checkpoint, as {@code tessera knn} and {@code linprobe} read it
 *   every encoder: one pass over the fitting subset and the test set giving CLS and patch-average features (both
 *   after the final LayerNorm, {@link Features#clsAndAvg}), then kNN-20 and the linear probe on each
 *   3. OUT/comparison.json (every number), OUT/table.md (the README's table), the table on stdout
 * </pre>
 *
 * <p>Fair by construction: every arm gets the same wall time, batch, base lr, seed, data order and evaluation;
 * each keeps its method's own recipe otherwise (AdamW β, clipping, warmup, min lr: {@link TrainSettings#forMethod}).
 * The base lr is the demo's 1.5e-3 for all (10× MAE's 800-epoch value, because a few minutes are a few
 * hundred steps); CAE's masking is its own (block-wise, half the patches) and MAE's its own (random, 75%), as
 * in the papers, so the arms differ in how many images fit the budget — the table reports steps and images.
 * The calibration is a few seconds of measurement on a machine that may be shared: the real runs' wall times
 * can miss the budget by several percent either way (measured for the README, 10-minute budget: 9.3, 10.7 and
 * 10.4 min), so the table reports each arm's minutes next to its steps.
 */
public final class MethodComparison {

    /** One pre-training method to compare: a label for the table and the model (with its objective's knobs). */
    public record Arm(String label, ModelSpec model) {
        public Arm {
            if (label == null || label.isBlank()) throw new IllegalArgumentException("an arm needs a label");
            if (!model.method().equals("mae") && !model.method().equals("cae")) {
                throw new IllegalArgumentException(label + ": only MAE and CAE encoders can be evaluated, got " + model.method());
            }
        }

        /** The method's published training recipe (the base lr, batch and length are the comparison's). */
        String method() {
            return model.method();
        }
    }

    /** MAE (mae-tiny), CAE (cae-tiny, λ = 2) and CAE without the alignment loss (λ = 0), the README's arms. */
    public static List<Arm> defaultArms() {
        CaeConfig cae = CaeConfig.preset("cae-tiny");
        return List.of(new Arm("MAE", ModelSpec.of(MaeConfig.preset("mae-tiny"))),
                new Arm("CAE", ModelSpec.of(cae, null)),
                new Arm("CAE, λ = 0", ModelSpec.of(cae.withAlignWeight(0), null)));
    }

    /**
     * @param arms              the methods, trained in this order
     * @param minutes           pre-training wall time of each arm
     * @param batch             pre-training batch of every arm
     * @param blr               base lr of every arm (lr = blr × batch / 256)
     * @param calibrationSteps  timed steps of the calibration (after as many warm-up steps)
     * @param evalTrain         training images the probe and kNN are fitted on (a random subset; 0: all)
     * @param evalTest          test images evaluated (0: all)
     * @param probe             the linear probe's recipe
     * @param seed              seed of model init, masks and data order (the same for every arm)
     */
    public record Settings(List<Arm> arms, double minutes, int batch, double blr, int calibrationSteps, int evalTrain, int evalTest,
                           ProbeRecipe probe, long seed) {
        public Settings {
            arms = List.copyOf(arms);
            if (arms.isEmpty()) throw new IllegalArgumentException("nothing to compare: no arms");
            if (!(minutes > 0) || Double.isInfinite(minutes)) throw new IllegalArgumentException("the budget must be positive minutes, got " + minutes);
            if (batch < 2 || !(blr > 0) || calibrationSteps < 1) {
                throw new IllegalArgumentException("need batch >= 2, blr > 0, calibration steps >= 1; got " + batch + ", " + blr + ", " + calibrationSteps);
            }
            if (evalTrain != 0 && evalTrain < KnnClassifier.DEFAULT_K) {
                throw new IllegalArgumentException("kNN-20 needs at least 20 training images, got " + evalTrain);
            }
            if (evalTest < 0) throw new IllegalArgumentException("test images must be 0 (all) or positive, got " + evalTest);
        }

        /** The README's comparison: the default arms, batch 64 at blr 1.5e-3 (the demo's), 10k fitting images, all test images. */
        public static Settings defaults(double minutes, long seed) {
            return new Settings(defaultArms(), minutes, 64, 1.5e-3, 20, 10_000, 0, LinearProbe.recipe(), seed);
        }
    }

    /** kNN-20 and linear-probe top-1 (%) of one encoder, on its CLS and its patch-average feature. */
    public record Scores(double knnCls, double knnAvg, double probeCls, double probeAvg) {
        Map<String, Object> json() {
            return ordered("knn_cls", round(knnCls), "knn_avg", round(knnAvg), "linprobe_cls", round(probeCls), "linprobe_avg", round(probeAvg));
        }
    }

    /** What one arm's pre-training did and what its encoder scores, before and after. */
    public record ArmResult(Arm arm, int steps, int plannedSteps, long images, double minutes, double imagesPerSecond,
                            double calibratedImagesPerSecond, double finalLoss, String stopReason, Scores initial, Scores pretrained,
                            Path runDir) {}

    /** Every arm's result and the raw-pixel reference (kNN, probe; the CLS/AVG split does not apply). */
    public record Result(List<ArmResult> arms, double knnPixels, double probePixels, double minutes) {}

    private final Backend backend;
    private final Dataset train, test;
    private final Settings settings;
    private final PrintWriter out;
    private final boolean terminal;
    private final Dataset fitSet, evalSet;
    private final List<Baseline> baselines = new ArrayList<>();
    private DataSource source;
    private String sourceDescription;

    /** An evaluated initial encoder, kept so that an arm starting from the same weights reuses its scores. */
    private record Baseline(EncoderSource encoder, Scores scores) {}

    /**
     * @param train    the pre-training set; the probe's fitting subset is drawn from it
     * @param test     the evaluation set
     * @param terminal whether {@code out} is a terminal (the trainer then redraws one progress line)
     */
    public MethodComparison(Backend backend, Dataset train, Dataset test, Settings settings, PrintWriter out, boolean terminal) {
        this.backend = backend;
        this.train = train;
        this.test = test;
        this.settings = settings;
        this.out = out;
        this.terminal = terminal;
        this.fitSet = settings.evalTrain() == 0 ? train : Subset.random(train, settings.evalTrain(), settings.seed());
        this.evalSet = settings.evalTest() == 0 ? test : Subset.random(test, settings.evalTest(), settings.seed() + 1);
    }

    /**
     * What each run's config.json records as its data (so that {@code tessera reconstruct} and friends can reopen
     * it); without it the runs record "a dataset given in code".
     */
    public MethodComparison dataSource(DataSource d, String description) {
        this.source = d;
        this.sourceDescription = description;
        return this;
    }

    /** Runs every arm into {@code outDir} (OUT/&lt;arm slug&gt; each) and writes the result files. */
    public Result run(Path outDir) {
        long start = System.nanoTime();
        say("%d arms, %.3g min of pre-training each; fitting on %d training images, evaluating on %d test images",
                settings.arms().size(), settings.minutes(), fitSet.size(), evalSet.size());
        PixelBaselines pixels = PixelBaselines.measure(backend, fitSet, evalSet, settings.probe(), settings.seed());
        double knnPixels = pixels.knn(), probePixels = pixels.linearProbe();
        say("raw pixels: kNN-20 %.2f%%, linear probe %.2f%%", knnPixels, probePixels);

        double[] rates = calibrate();
        List<ArmResult> results = new ArrayList<>();
        for (int i = 0; i < rates.length; i++) {
            Arm arm = settings.arms().get(i);
            results.add(runArm(arm, rates[i], outDir.resolve(slug(arm.label()))));
        }
        Result result = new Result(results, knnPixels, probePixels, (System.nanoTime() - start) / 60e9);
        publish(outDir, "comparison.json", json(result), "table.md", table(result), "runs");
        return result;
    }

    /** Writes OUT/{@code jsonName} and OUT/{@code tableName}, and prints the table and where the details are. */
    void publish(Path outDir, String jsonName, Map<String, Object> json, String tableName, String table, String runs) {
        ResultFile.write(outDir.resolve(jsonName), json);
        ResultFile.writeText(outDir.resolve(tableName), table);
        out.println();
        out.print(table);
        out.println("  details: " + outDir.resolve(jsonName) + "; " + runs + ": " + outDir + "/<arm>/");
        out.flush();
    }

    private ArmResult runArm(Arm arm, double rate, Path runDir) {
        say("== %s: %s", arm.label(), arm.model().describe());
        Objective objective = arm.model().build(backend, settings.seed());
        EncoderSource initial = EncoderSource.fromModel(arm.model(), objective.model(), arm.label() + " encoder as initialised (seed "
                + settings.seed() + ")");
        Scores before = baselineScores(arm, initial);

        TrainResult r = pretrain(arm, objective, rate, runDir);

        EncoderSource trained = EncoderSource.fromCheckpoint(r.runDir().resolve(RunDirectory.CHECKPOINT), null);
        Scores after = scores(trained, arm.label() + " pre-trained");
        say("%s pre-trained: kNN-20 %.2f / %.2f, linear probe %.2f / %.2f (CLS / avg); as initialised %.2f / %.2f, %.2f / %.2f",
                arm.label(), after.knnCls(), after.knnAvg(), after.probeCls(), after.probeAvg(),
                before.knnCls(), before.knnAvg(), before.probeCls(), before.probeAvg());
        return new ArmResult(arm, r.steps(), r.totalSteps(), (long) r.steps() * settings.batch(), r.minutes(), r.imagesPerSecond(), rate,
                r.finalLoss(), r.stopReason(), before, after, r.runDir());
    }

    /**
     * Pre-trains {@code objective} (built from {@code arm} with the comparison's seed) for the budget at the measured
     * {@code rate} into {@code runDir}: a run directory as {@code tessera pretrain} writes it, pictures included.
     */
    TrainResult pretrain(Arm arm, Objective objective, double rate, Path runDir) {
        int steps = plannedSteps(rate);
        TrainSettings ts = TrainSettings.forMethod(arm.method()).toBuilder().batchSize(settings.batch()).blr(settings.blr()).steps(steps)
                .seed(settings.seed()).timeLimitMinutes(settings.minutes() * 1.1).checkpointEvery(steps).build();
        say("%s: %d steps of %d images fill %.3g min at the measured %.1f img/s", arm.label(), steps, settings.batch(), settings.minutes(), rate);
        Trainer trainer = new Trainer(objective, train, ts).heldOut(test).output(runDir).listen(new Pictures()).log(out, terminal);
        if (source != null) trainer.source(source, sourceDescription, List.of("compare"));
        return trainer.run();
    }

    /**
     * Training images per second of every arm on this machine now. A throw-away model of each arm first trains
     * {@code calibrationSteps} steps, all arms before any is timed, so that the first arm is not timed on a cold
     * JVM (the arms share most kernels, and the JIT compiles them during the first arm's steps); then each trains
     * as many steps again, timed by the trainer.
     */
    double[] calibrate() {
        int n = settings.calibrationSteps();
        PrintWriter silent = new PrintWriter(Writer.nullWriter());
        List<Objective> scratch = new ArrayList<>();
        for (Arm arm : settings.arms()) {
            Objective o = arm.model().build(backend, settings.seed() + 1);
            new Trainer(o, train, calibrationRun(arm, settings.seed() + 1)).log(silent, false).run();
            scratch.add(o);
        }
        double[] rates = new double[scratch.size()];
        for (int i = 0; i < rates.length; i++) {
            Arm arm = settings.arms().get(i);
            rates[i] = new Trainer(scratch.get(i), train, calibrationRun(arm, settings.seed() + 2)).log(silent, false).run().imagesPerSecond();
            say("%s: %.1f training images/s measured over %d steps of %d", arm.label(), rates[i], n, settings.batch());
        }
        return rates;
    }

    private TrainSettings calibrationRun(Arm arm, long seed) {
        int n = settings.calibrationSteps();
        return TrainSettings.forMethod(arm.method()).toBuilder().batchSize(settings.batch()).blr(settings.blr()).steps(2 * n).seed(seed)
                .stopAfter(n).build();
    }

    /** Steps that fill the budget at {@code imagesPerSecond}: budget · rate ÷ batch, at least 1. */
    int plannedSteps(double imagesPerSecond) {
        double images = settings.minutes() * 60 * imagesPerSecond;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.floor(images / settings.batch())));
    }

    private Scores baselineScores(Arm arm, EncoderSource initial) {
        for (Baseline b : baselines) {
            if (sameWeights(b.encoder(), initial)) {
                say("%s starts from the same encoder as an earlier arm (same shape, same weights): its baseline is reused", arm.label());
                return b.scores();
            }
        }
        Scores s = scores(initial, arm.label() + " as initialised");
        baselines.add(new Baseline(initial, s));
        return s;
    }

    static boolean sameWeights(EncoderSource a, EncoderSource b) {
        if (!a.encoder().equals(b.encoder()) || !a.weights().keySet().equals(b.weights().keySet())) return false;
        for (Map.Entry<String, TensorData> e : a.weights().entrySet()) {
            TensorData x = e.getValue(), y = b.weights().get(e.getKey());
            if (!Arrays.equals(x.shape(), y.shape()) || !Arrays.equals(x.floats(), y.floats()) || !Arrays.equals(x.ints(), y.ints())) return false;
        }
        return true;
    }

    private Scores scores(EncoderSource source, String what) {
        VisionTransformer encoder = source.buildEncoder(backend, settings.seed());
        Map<Pool, FeatureSet> fit = Features.clsAndAvg(encoder, fitSet, Features.DEFAULT_BATCH,
                new ExtractionProgress(out, what + ", fitting features", fitSet.size()));
        Map<Pool, FeatureSet> eval = Features.clsAndAvg(encoder, evalSet, Features.DEFAULT_BATCH,
                new ExtractionProgress(out, what + ", test features", evalSet.size()));
        KnnClassifier knn = KnnClassifier.dino();
        return new Scores(knn.accuracy(backend, fit.get(Pool.CLS), eval.get(Pool.CLS)), knn.accuracy(backend, fit.get(Pool.AVG), eval.get(Pool.AVG)),
                probe(fit.get(Pool.CLS), eval.get(Pool.CLS)), probe(fit.get(Pool.AVG), eval.get(Pool.AVG)));
    }

    private double probe(FeatureSet fit, FeatureSet eval) {
        return LinearProbe.score(backend, fit, eval, settings.probe(), settings.seed());
    }

    // ================================================================ reporting

    /** The README table: one row per arm, each score as "pre-trained (as initialised)". */
    String table(Result r) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "Pre-training budget %.3g min per arm on %s, batch %d, blr %.3g, seed %d; fitted on %d training"
                + " images, top-1 (%%) on %d test images. Each cell: pre-trained (encoder as initialised).%n%n", settings.minutes(),
                backend.name(), settings.batch(), settings.blr(), settings.seed(), fitSet.size(), evalSet.size()));
        t.append("| arm | model | steps | images seen | minutes | final loss | kNN-20 CLS | kNN-20 avg | linear probe CLS | linear probe avg |\n");
        t.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ArmResult a : r.arms()) {
            t.append(String.format(Locale.ROOT, "| %s | %s | %,d%s | %,d | %.1f | %.4f | %s | %s | %s | %s |%n", a.arm().label(),
                    a.arm().model().name() + (a.arm().method().equals("cae") ? ", λ = " + fmt(a.arm().model().caeConfig().alignWeight()) : ""),
                    a.steps(), a.stopReason() == null ? "" : " (cut)", a.images(), a.minutes(), a.finalLoss(),
                    cell(a.pretrained().knnCls(), a.initial().knnCls()), cell(a.pretrained().knnAvg(), a.initial().knnAvg()),
                    cell(a.pretrained().probeCls(), a.initial().probeCls()), cell(a.pretrained().probeAvg(), a.initial().probeAvg())));
        }
        t.append(String.format(Locale.ROOT, "| raw pixels | — | — | — | — | — | %.2f | | %.2f | |%n", r.knnPixels(), r.probePixels()));
        return t.toString();
    }

    private static String cell(double pretrained, double initial) {
        return String.format(Locale.ROOT, "**%.2f** (%.2f)", pretrained, initial);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private Map<String, Object> json(Result r) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("settings", ordered("minutes_per_arm", settings.minutes(), "batch", settings.batch(), "blr", settings.blr(),
                "calibration_steps", settings.calibrationSteps(), "seed", settings.seed(), "fit_images", fitSet.size(),
                "test_images", evalSet.size(), "probe", settings.probe(), "device", backend.name()));
        List<Object> arms = new ArrayList<>();
        for (ArmResult a : r.arms()) {
            arms.add(ordered("label", a.arm().label(), "model", a.arm().model().describe(), "method", a.arm().method(),
                    "steps", a.steps(), "planned_steps", a.plannedSteps(), "images", a.images(), "minutes", a.minutes(),
                    "img_per_s", a.imagesPerSecond(), "calibrated_img_per_s", a.calibratedImagesPerSecond(), "final_loss", a.finalLoss(),
                    "stop_reason", a.stopReason(), "pretrained", a.pretrained().json(), "initial", a.initial().json(),
                    "run_dir", a.runDir().toString()));
        }
        j.put("arms", arms);
        j.put("pixels", ordered("knn", round(r.knnPixels()), "linprobe", round(r.probePixels())));
        j.put("minutes", r.minutes());
        return j;
    }

    /** A folder name for a label: "CAE, λ = 0" → "cae-lambda-0". */
    static String slug(String label) {
        String s = label.toLowerCase(Locale.ROOT).replace("λ", "lambda").replaceAll("[^a-z0-9]+", "-");
        return s.replaceAll("^-+|-+$", "");
    }

    static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    void say(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
        out.flush();
    }
}
