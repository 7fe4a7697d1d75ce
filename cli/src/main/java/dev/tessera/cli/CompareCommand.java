package dev.tessera.cli;

import dev.tessera.data.FashionMnist;
import dev.tessera.data.FashionMnistLocator;
import dev.tessera.engine.backend.Backend;
import dev.tessera.eval.FinetuneComparison;
import dev.tessera.eval.MethodComparison;
import dev.tessera.train.DataSource;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
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

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default runs/compare-<timestamp>); must not hold a comparison.")
    Path out;

    @Option(names = "--data", paramLabel = "DIR", description = "A folder with the Fashion-MNIST files (default: found or downloaded).")
    Path data;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "64", description = "Pre-training batch of every method (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--blr", paramLabel = "LR", defaultValue = "1.5e-3", description = "Base lr of every method (default ${DEFAULT-VALUE}).")
    double blr;

    @Option(names = "--eval-train", paramLabel = "N", defaultValue = "10000",
            description = "Training images the probe and kNN are fitted on (default ${DEFAULT-VALUE}; 0: all 60k).")
    int evalTrain;

    @Option(names = "--eval-test", paramLabel = "N", defaultValue = "0", description = "Test images evaluated (default: all 10000).")
    int evalTest;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of every arm (default ${DEFAULT-VALUE}).")
    long seed;

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
    DeviceOptions deviceOptions;

    @Override
    public Integer call() {
        if (!(minutes > 0) || Double.isInfinite(minutes)) throw new ParameterException(spec.commandLine(), "--minutes must be positive, got " + minutes);
        if (batch < 2) throw new ParameterException(spec.commandLine(), "--batch must be at least 2, got " + batch);
        if (!(blr > 0) || Double.isInfinite(blr)) throw new ParameterException(spec.commandLine(), "--blr must be positive, got " + blr);
        if (evalTrain != 0 && evalTrain < 20) throw new ParameterException(spec.commandLine(), "--eval-train must be 0 (all) or at least 20 (kNN-20), got " + evalTrain);
        if (evalTest < 0) throw new ParameterException(spec.commandLine(), "--eval-test must be 0 (all) or positive, got " + evalTest);
        if (finetuneEpochs < 1) throw new ParameterException(spec.commandLine(), "--finetune-epochs must be at least 1, got " + finetuneEpochs);
        if (finetuneTrain != 0 && finetuneTrain < 64) {
            throw new ParameterException(spec.commandLine(), "--finetune-train must be 0 (all) or at least one batch of 64, got " + finetuneTrain);
        }
        Path dir = out != null ? out : Path.of("runs", "compare-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (Files.exists(dir.resolve("comparison.json")) || Files.exists(dir.resolve("finetune.json")) || Files.exists(dir.resolve("mae"))) {
            throw new ParameterException(spec.commandLine(), "--out " + dir + " already holds a comparison; choose another folder");
        }
        PrintWriter log = spec.commandLine().getOut();
        FashionMnistLocator.Found found = FashionMnistLocator.standard(data).locate();
        FashionMnist train = FashionMnist.read(found.dir(), FashionMnist.Split.TRAIN);
        FashionMnist test = FashionMnist.read(found.dir(), FashionMnist.Split.TEST);
        log.println("data: Fashion-MNIST from " + found.dir() + " (" + found.source() + ")");
        log.println("output: " + dir.toAbsolutePath().normalize());
        MethodComparison.Settings d = MethodComparison.Settings.defaults(minutes, seed);
        MethodComparison.Settings settings = new MethodComparison.Settings(d.arms(), minutes, batch, blr, d.calibrationSteps(), evalTrain,
                evalTest, d.probe(), seed);
        DataSource source = new DataSource(DataSource.FASHION_MNIST, found.dir().toString(), 0);
        String described = "Fashion-MNIST train split from " + found.dir();
        if (finetune) {
            FinetuneComparison.Settings f = FinetuneComparison.Settings.defaults(minutes, finetuneEpochs, finetuneTrain, seed);
            MethodComparison.Settings p = f.pretraining();
            f = new FinetuneComparison.Settings(new MethodComparison.Settings(p.arms(), minutes, batch, blr, p.calibrationSteps(), evalTrain,
                    evalTest, p.probe(), seed), f.finetune(), f.supervised(), f.trainImages(), evalTest);
            try (Backend backend = deviceOptions.open(log::println)) {
                new FinetuneComparison(backend, train, test, f, log, System.console() != null).dataSource(source, described)
                        .run(dir.toAbsolutePath().normalize());
            }
            return 0;
        }
        try (Backend backend = deviceOptions.open(log::println)) {
            new MethodComparison(backend, train, test, settings, log, System.console() != null)
                    .dataSource(source, described)
                    .run(dir.toAbsolutePath().normalize());
        }
        return 0;
    }
}
