package dev.tessera.cli;

import dev.tessera.train.TrainSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options every {@code tessera pretrain METHOD} shares (a picocli mixin). Options that change what is
 * trained are boxed and null when not given, so the method's recipe fills them in and {@code --resume} can
 * tell that they were given (a resumed run keeps its recorded settings).
 */
final class TrainOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME", description = "Model preset (see 'tessera model --list'); default mae-tiny / cae-tiny.")
    String model;

    @Option(names = "--data", paramLabel = "DIR", description = "'fashion-mnist' (default; found or downloaded), a folder holding the"
            + " Fashion-MNIST files, or an image folder DIR/<class>/*.jpg|png (DIR/train + DIR/val when both exist).")
    String data;

    @Option(names = "--crop", paramLabel = "PX", description = "Random-resized-crop size for an image folder (default: the model's image size).")
    Integer crop;

    @Option(names = "--epochs", paramLabel = "E", description = "Length of the run in epochs (default 1).")
    Integer epochs;

    @Option(names = "--steps", paramLabel = "S", description = "Length of the run in optimizer steps (instead of --epochs).")
    Integer steps;

    @Option(names = "--batch", paramLabel = "B", description = "Images per micro-batch (default 256).")
    Integer batch;

    @Option(names = "--accum", paramLabel = "K", description = "Micro-batches per optimizer step, gradients averaged (default 1).")
    Integer accum;

    @Option(names = "--blr", paramLabel = "LR", description = "Base lr: lr = blr × batch × accum / 256 (default MAE 1.5e-4, CAE 1.875e-4).")
    Double blr;

    @Option(names = "--lr", paramLabel = "LR", description = "Absolute peak lr (overrides --blr).")
    Double lr;

    @Option(names = "--min-lr", paramLabel = "LR", description = "Floor of the cosine (default MAE 0, CAE 1e-5).")
    Double minLr;

    @Option(names = "--warmup-epochs", paramLabel = "E", description = "Linear warmup (default: MAE 5%%, CAE 1/40 of the run: the official 20 of 800 and 40 of 1600 epochs).")
    Double warmupEpochs;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "AdamW weight decay (default 0.05).")
    Double weightDecay;

    @Option(names = "--betas", paramLabel = "B1,B2", split = ",", description = "AdamW betas (default MAE 0.9,0.95; CAE 0.9,0.999).")
    List<Double> betas;

    @Option(names = "--clip-grad", paramLabel = "NORM", description = "Clip the global gradient norm (default MAE off, CAE 3.0; 0 = off).")
    Double clipGrad;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of init, masks, drop-path and data order (default 0).")
    Long seed;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "auto, cpu or cuda (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all cores; at most 4 × the cores).")
    Integer threads;

    @Option(names = "--no-cuda-graph", description = "On CUDA, run every step eagerly instead of replaying MAE's step as CUDA"
            + " graphs from the third step on (same numbers either way; graphs are off by themselves for CAE, --accum > 1 and"
            + " --distributed).")
    boolean noCudaGraph;

    @Option(names = "--workers", paramLabel = "W", description = "Data-loading threads (default min(4, cores)).")
    Integer workers;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default runs/<method>-<timestamp>).")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run in DIR exactly, with its recorded settings.")
    Path resume;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Checkpoint and pictures every N steps and at the end (default 200).")
    Integer checkpointEvery;

    @Option(names = "--log-every", paramLabel = "N", description = "A metrics.jsonl line every N steps (default 10).")
    Integer logEvery;

    @Option(names = "--stop-after", paramLabel = "S", description = "Stop after S steps although the schedule spans the whole run.")
    Integer stopAfter;

    @Option(names = "--time-limit", paramLabel = "MIN", description = "Stop (with a checkpoint) after MIN minutes.")
    Double timeLimit;

    @Option(names = "--distributed", description = "Data-parallel over the processes of an MPI job: start with 'mpirun -np N"
            + " ./tessera ... --distributed' (docs/distributed.md). --batch is per process; the lr follows batch × accum × N.")
    boolean distributed;

    /** Rejects out-of-range values with the option's name; picocli already rejected non-numbers. */
    void validate() {
        positive("--crop", crop);
        positive("--epochs", epochs);
        positive("--steps", steps);
        positive("--batch", batch);
        positive("--accum", accum);
        Checks.threads(spec.commandLine(), threads);
        positive("--checkpoint-every", checkpointEvery);
        positive("--log-every", logEvery);
        positive("--stop-after", stopAfter);
        if (workers != null && workers < 0) fail("--workers must be 0 or more, got " + workers);
        positiveReal("--blr", blr);
        positiveReal("--lr", lr);
        nonNegative("--min-lr", minLr);
        nonNegative("--warmup-epochs", warmupEpochs);
        nonNegative("--weight-decay", weightDecay);
        nonNegative("--clip-grad", clipGrad);
        nonNegative("--time-limit", timeLimit);
        if (epochs != null && steps != null) fail("give --epochs or --steps, not both");
        if (betas != null) {
            if (betas.size() != 2) fail("--betas needs two values B1,B2, got " + betas.size());
            for (double b : betas) if (!(b >= 0 && b < 1)) fail("--betas must lie in [0, 1), got " + betas);
        }
        if (out != null && resume != null) fail("--resume writes into the run's own folder; leave out --out");
    }

    void positive(String name, Integer v) {
        if (v != null && v < 1) fail(name + " must be a positive integer, got " + v);
    }

    void positiveReal(String name, Double v) {
        if (v != null && !(v > 0 && Double.isFinite(v))) fail(name + " must be a positive number, got " + v);
    }

    void nonNegative(String name, Double v) {
        if (v != null && !(v >= 0 && Double.isFinite(v))) fail(name + " must be 0 or more, got " + v);
    }

    void fail(String message) {
        throw new ParameterException(spec.commandLine(), message);
    }

    /** Names of the given options that define what is trained (not allowed with --resume). */
    List<String> trainingOptionsGiven() {
        List<String> given = new ArrayList<>();
        if (data != null) given.add("--data");
        if (crop != null) given.add("--crop");
        if (epochs != null) given.add("--epochs");
        if (steps != null) given.add("--steps");
        if (batch != null) given.add("--batch");
        if (accum != null) given.add("--accum");
        if (blr != null) given.add("--blr");
        if (lr != null) given.add("--lr");
        if (minLr != null) given.add("--min-lr");
        if (warmupEpochs != null) given.add("--warmup-epochs");
        if (weightDecay != null) given.add("--weight-decay");
        if (betas != null) given.add("--betas");
        if (clipGrad != null) given.add("--clip-grad");
        if (seed != null) given.add("--seed");
        return given;
    }

    /** The method's recipe with the given options applied. */
    TrainSettings settings(String method) {
        TrainSettings.Builder b = TrainSettings.forMethod(method).toBuilder();
        if (epochs != null) b.epochs(epochs);
        if (steps != null) b.steps(steps);
        if (batch != null) b.batchSize(batch);
        if (accum != null) b.accum(accum);
        if (blr != null) b.blr(blr);
        if (lr != null) b.lr(lr);
        if (minLr != null) b.minLr(minLr);
        if (warmupEpochs != null) b.warmupEpochs(warmupEpochs);
        if (weightDecay != null) b.weightDecay(weightDecay);
        if (betas != null) b.betas(betas.get(0), betas.get(1));
        if (clipGrad != null) b.clipGrad(clipGrad);
        if (seed != null) b.seed(seed);
        TrainSettings s;
        try {
            s = session(b).build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (minLr != null) Checks.minLrBelowPeak(spec.commandLine(), s);
        return s;
    }

    /** The options that may change between sessions of one run (speed, logging, when to stop). */
    TrainSettings.Builder session(TrainSettings.Builder b) {
        if (workers != null) b.workers(workers);
        if (checkpointEvery != null) b.checkpointEvery(checkpointEvery);
        if (logEvery != null) b.logEvery(logEvery);
        b.stopAfter(stopAfter == null ? 0 : stopAfter);
        b.timeLimitMinutes(timeLimit == null ? 0 : timeLimit);
        return b;
    }

    int threads() {
        return Checks.threads(spec.commandLine(), threads);
    }
}
