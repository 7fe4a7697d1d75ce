package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.eval.EncoderSource;
import dev.tessera.eval.EvalData;
import dev.tessera.eval.ResultFile;
import dev.tessera.interop.ModelWeights;
import dev.tessera.interop.WeightImport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What every evaluation command shares ({@code knn}, {@code linprobe}, {@code attnprobe}, {@code finetune},
 * {@code train-supervised}): the options, resolving the encoder (a checkpoint's, one imported from any format with
 * {@code --init}, or a random one of the same shape), opening the data and device, and writing the result. A subclass computes its top-1 in
 * {@link #evaluate} and adds its own settings to the result.
 *
 * <p>The result JSON goes to {@code --out FILE}; without it, next to the checkpoint (or the --init file) as
 * {@code <command>.json} (or {@code <command>-random.json} for {@code --random-init}), and without a checkpoint
 * to {@code runs/<command>-<timestamp>/result.json}.
 */
abstract class EvalCommand implements Callable<Integer> {

    @Spec
    protected CommandSpec spec;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "A pretraining checkpoint; its encoder weights are loaded by name.")
    protected Path checkpoint;

    @Option(names = "--init", paramLabel = "FILE", description = "Encoder weights from any file 'tessera import' reads: PyTorch .pth/.pt"
            + " (e.g. the official mae_pretrain_vit_base.pth), timm or Hugging Face safetensors, a Tessera export.")
    protected Path init;

    @Mixin
    protected HeadsOption heads;

    @Mixin
    protected PrecisionOption precision;

    @Option(names = "--random-init", description = "Evaluate a randomly initialised encoder of the same shape (the baseline); with"
            + " --checkpoint, the checkpoint gives the shape and its weights are not used.")
    protected boolean randomInit;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "mae-tiny",
            description = "MAE preset giving the encoder's shape when there is no checkpoint (or it holds no model_spec); default ${DEFAULT-VALUE}.")
    protected String model;

    @Option(names = "--data", paramLabel = "DIR", description = "'fashion-mnist' (default), a folder with the Fashion-MNIST files, or an"
            + " image folder with train/ and val/. Fits on the training split, evaluates on the test (val) split.")
    protected String data;

    @Option(names = "--train-limit", paramLabel = "N", defaultValue = "0", description = "Fit on a random subset of N training images (0: all).")
    protected int trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", defaultValue = "0", description = "Evaluate on a random subset of N test images (0: all).")
    protected int testLimit;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "auto, cpu or cuda (default ${DEFAULT-VALUE}).")
    protected String device;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all cores; at most 4 × the cores).")
    protected Integer threads;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the subsets, the head's init and data order (default ${DEFAULT-VALUE}).")
    protected long seed;

    @Option(names = "--epochs", paramLabel = "E", description = "Training epochs (default: the command's recipe).")
    protected Integer epochs;

    @Option(names = "--batch", paramLabel = "B", description = "Batch size (default: the command's recipe).")
    protected Integer batch;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write the result JSON (default: next to the checkpoint).")
    protected Path out;

    /** The command's name, used in the result file's name and in messages. */
    protected abstract String name();

    /** Whether the command reads a pretrained encoder (train-supervised does not). */
    protected boolean readsEncoder() {
        return true;
    }

    /**
     * Computes the command's metric: top-1 in percent on {@code data.test()}; adds the command's own settings to
     * {@code result}. {@code out} is the command's stdout.
     */
    protected abstract double evaluate(Backend backend, EncoderSource encoder, EvalData data, Map<String, Object> result, PrintWriter out);

    @Override
    public final Integer call() {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        EncoderSource encoder = encoderSource();
        var shape = encoder.encoder();
        EvalData d = EvalData.open(data, shape.inChans(), shape.imgSize(), trainTransform()).limit(trainLimit, testLimit, seed);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("command", name());
        try (Backend backend = Devices.open(device, Checks.threads(spec.commandLine(), threads), precision.get(), out::println)) {
            out.println("encoder: " + encoder.description());
            out.println("data: " + d.description());
            double top1 = evaluate(backend, encoder, d, result, out);
            result.put("top1", top1);
            result.put("encoder", encoder.description());
            result.put("checkpoint", checkpoint == null ? null : checkpoint.toAbsolutePath().normalize().toString());
            if (init != null) result.put("init", init.toAbsolutePath().normalize().toString());
            result.put("random_init", encoder.isRandom());
            result.put("data", d.description());
            result.put("train_images", d.train().size());
            result.put("test_images", d.test().size());
            result.put("seed", seed);
            result.put("device", backend.name());
            result.put("precision", backend.precision().label());
            result.put("seconds", Math.round((System.nanoTime() - start) / 1e8) / 10.0);
            Path file = resultPath();
            ResultFile.write(file, result);
            out.println(String.format(Locale.ROOT, "%s top-1: %.2f%% (%d test images)", name(), top1, d.test().size()));
            out.println("result: " + file);
            out.flush();
            return 0;
        }
    }

    /** Whether end-to-end training augments an image folder's training split (finetune, train-supervised). */
    protected boolean augmentTrain() {
        return false;
    }

    /** How the training split is transformed: fine-tuning's augmentation where {@link #augmentTrain}, else none (probes override). */
    protected EvalData.TrainTransform trainTransform() {
        return augmentTrain() ? EvalData.TrainTransform.FINETUNE : EvalData.TrainTransform.NONE;
    }

    private void validate() {
        if (trainLimit < 0) fail("--train-limit must be 0 (all) or positive, got " + trainLimit);
        if (testLimit < 0) fail("--test-limit must be 0 (all) or positive, got " + testLimit);
        if (epochs != null && epochs < 1) fail("--epochs must be a positive integer, got " + epochs);
        if (batch != null && batch < 2) fail("--batch must be at least 2, got " + batch);
        Checks.threads(spec.commandLine(), threads);
        if (init != null && (checkpoint != null || randomInit || !readsEncoder())) {
            fail(readsEncoder() ? "give --init FILE or --checkpoint FILE (or --random-init), not both" : "--init is for commands that read an encoder");
        }
        if (readsEncoder() && checkpoint == null && init == null && !randomInit) {
            fail("give --checkpoint FILE (a pretraining checkpoint), --init FILE (weights in any format), or --random-init for the"
                    + " random-encoder baseline");
        }
    }

    /** Throws picocli's usage error for an invalid option combination or value. */
    protected final void fail(String message) {
        throw usageError(message);
    }

    /** picocli's usage error (printed with the command's usage, exit code 2). */
    public final ParameterException usageError(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private EncoderSource encoderSource() {
        if (!readsEncoder()) {
            return checkpoint != null ? EncoderSource.fromCheckpoint(checkpoint, model).asRandom() : EncoderSource.randomPreset(model);
        }
        if (init != null) {
            ModelWeights w = WeightImport.read(init, heads.hints());
            for (String n : w.notes()) spec.commandLine().getOut().println("note: " + n);
            return w.encoderSource();
        }
        if (checkpoint == null) return EncoderSource.randomPreset(model);
        EncoderSource s = EncoderSource.fromCheckpoint(checkpoint, model, spec.commandLine().getParseResult().hasMatchedOption("--model"));
        return randomInit ? s.asRandom() : s;
    }

    private Path resultPath() {
        if (out != null) return out;
        // linprobe.json / linprobe-random.json next to the checkpoint; train-supervised has no "-random" twin
        String file = name() + (randomInit && readsEncoder() ? "-random" : "") + ".json";
        Path weights = checkpoint != null ? checkpoint : init;
        if (weights != null) return weights.toAbsolutePath().normalize().getParent().resolve(file);
        return Path.of("runs", name() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")), "result.json");
    }

    /** The epochs option or the recipe's default. */
    protected final int epochsOr(int recipeDefault) {
        return epochs != null ? epochs : recipeDefault;
    }

    /** The batch option or the recipe's default. */
    protected final int batchOr(int recipeDefault) {
        return batch != null ? batch : recipeDefault;
    }

    /** A log line printer for training progress. */
    protected static Consumer<String> printer(PrintWriter out) {
        return line -> {
            out.println("  " + line);
            out.flush();
        };
    }
}
