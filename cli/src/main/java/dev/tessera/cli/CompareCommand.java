package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.eval.FinetuneComparison;
import dev.tessera.eval.MethodComparison;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tessera compare}: MAE against CAE and CAE's alignment ablation on Fashion-MNIST at the same CPU budget;
 * see {@link MethodComparison}. The README's method table comes from this command.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pre-train MAE (mae-tiny), CAE (cae-tiny) and CAE with --align-weight 0 on Fashion-MNIST for the same wall time"
                + " each, then evaluate every encoder and the encoder it started from (kNN-20 and linear probe, CLS and patch-average"
                + " features) on the 10k test images.",
                "Writes OUT/table.md, OUT/comparison.json and one run directory per arm (OUT/mae, OUT/cae, OUT/cae-lambda-0).",
                "Takes 3 × the budget plus about 8 minutes of calibration and evaluation on 2 CPU cores (38 min in all by default).",
                "--finetune: MAE and CAE pre-trained for the budget each, then fine-tuned (and a random-init encoder trained alike) for"
                        + " --finetune-epochs on --finetune-train images; about 2 × the budget + 30 minutes on 2 CPU cores by default."})
final class CompareCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--minutes", paramLabel = "M", defaultValue = "10", description = "Pre-training minutes per method (default ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "64", description = "Pre-training batch of every method (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--blr", paramLabel = "LR", defaultValue = "1.5e-3", description = "Base lr of every method (default ${DEFAULT-VALUE}).")
    double blr;

    @Option(names = "--finetune", description = "The fine-tuning comparison instead: MAE and CAE pre-trained for --minutes each, then every"
            + " encoder fine-tuned end to end, and an encoder of the same shape trained from random initialisation alike (top-1 on the"
            + " test images; writes OUT/finetune.md and OUT/finetune.json).")
    boolean finetune;

    @Option(names = "--finetune-epochs", paramLabel = "E", defaultValue = "3", description = "With --finetune: epochs of every arm (default ${DEFAULT-VALUE}).")
    int finetuneEpochs;

    @Option(names = "--finetune-train", paramLabel = "N", defaultValue = "10000",
            description = "With --finetune: training images every arm fine-tunes on (default ${DEFAULT-VALUE}; 0: all 60k).")
    int finetuneTrain;

    @Mixin
    ExperimentOptions experiment;

    @Mixin
    DeviceOptions deviceOptions;

    @Override
    public Integer call() {
        experiment.validate(minutes);
        if (batch < 2) throw new ParameterException(spec.commandLine(), "--batch must be at least 2, got " + batch);
        if (!(blr > 0) || Double.isInfinite(blr)) throw new ParameterException(spec.commandLine(), "--blr must be positive, got " + blr);
        if (finetuneEpochs < 1) throw new ParameterException(spec.commandLine(), "--finetune-epochs must be at least 1, got " + finetuneEpochs);
        if (finetuneTrain != 0 && finetuneTrain < 64) {
            throw new ParameterException(spec.commandLine(), "--finetune-train must be 0 (all) or at least one batch of 64, got " + finetuneTrain);
        }
        Path dir = experiment.outputFolder("a comparison", "comparison.json", "finetune.json", "mae");
        PrintWriter log = spec.commandLine().getOut();
        ExperimentOptions.Data data = experiment.load(dir, log);
        int evalTrain = experiment.evalTrain, evalTest = experiment.evalTest;
        long seed = experiment.seed;
        MethodComparison.Settings d = MethodComparison.Settings.defaults(minutes, seed);
        MethodComparison.Settings settings = new MethodComparison.Settings(d.arms(), minutes, batch, blr, d.calibrationSteps(), evalTrain,
                evalTest, d.probe(), seed);
        if (finetune) {
            FinetuneComparison.Settings f = FinetuneComparison.Settings.defaults(minutes, finetuneEpochs, finetuneTrain, seed);
            MethodComparison.Settings p = f.pretraining();
            f = new FinetuneComparison.Settings(new MethodComparison.Settings(p.arms(), minutes, batch, blr, p.calibrationSteps(), evalTrain,
                    evalTest, p.probe(), seed), f.finetune(), f.supervised(), f.trainImages(), evalTest);
            try (Backend backend = deviceOptions.open(log::println)) {
                new FinetuneComparison(backend, data.train(), data.test(), f, log, System.console() != null).dataSource(data.source(), data.description())
                        .run(dir);
            }
            return 0;
        }
        try (Backend backend = deviceOptions.open(log::println)) {
            new MethodComparison(backend, data.train(), data.test(), settings, log, System.console() != null)
                    .dataSource(data.source(), data.description())
                    .run(dir);
        }
        return 0;
    }
}
