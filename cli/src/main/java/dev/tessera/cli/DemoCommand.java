package dev.tessera.cli;

import dev.tessera.data.FashionMnist;
import dev.tessera.data.FashionMnistLocator;
import dev.tessera.engine.backend.Backend;
import dev.tessera.eval.Demo;
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
 * {@code tessera demo}: the README's main command — pre-train the CPU preset (mae-tiny) on Fashion-MNIST for a
 * few minutes, then compare what it learned with a random encoder and raw pixels; see {@link Demo}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pre-train mae-tiny on Fashion-MNIST for a few minutes, then evaluate it on the 10k test images against a random"
                + " encoder and raw pixels (kNN-20, linear probe, masked-patch MSE).",
                "About 8 to 10 minutes in all on 2 CPU cores by default.",
                "Writes OUT/summary.json, OUT/demo.json and the pre-training run (recon.png, loss.png, checkpoint) in OUT/pretrain."})
final class DemoCommand implements Callable<Integer> {
    /**
     * Pre-training minutes by default. The evaluation adds 3.5 to 4 minutes on 2 cores (measured 3.4 and 3.9 min,
     * most of it the 40k encoder passes of the random and the pre-trained encoder): 8 to 10 minutes in all.
     */
    static final double DEFAULT_MINUTES = 5.5;

    @Spec
    CommandSpec spec;

    @Option(names = "--minutes", paramLabel = "M", defaultValue = "" + DEFAULT_MINUTES,
            description = "Pre-training budget in minutes (default ${DEFAULT-VALUE}; the evaluation adds 3.5-4 min on 2 cores).")
    double minutes;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default runs/demo-<timestamp>); must not hold a run.")
    Path out;

    @Option(names = "--data", paramLabel = "DIR", description = "A folder with the Fashion-MNIST files (default: found or downloaded).")
    Path data;

    @Option(names = "--eval-train", paramLabel = "N", defaultValue = "10000",
            description = "Training images the probe and kNN are fitted on (default ${DEFAULT-VALUE}).")
    int evalTrain;

    @Option(names = "--eval-test", paramLabel = "N", defaultValue = "0", description = "Test images evaluated (default: all 10000).")
    int evalTest;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin

    DeviceOptions deviceOptions;

    @Override
    public Integer call() {
        if (!(minutes > 0) || Double.isInfinite(minutes)) throw new ParameterException(spec.commandLine(), "--minutes must be positive, got " + minutes);
        if (evalTrain < 20) throw new ParameterException(spec.commandLine(), "--eval-train must be at least 20 (kNN-20), got " + evalTrain);
        if (evalTest < 0) throw new ParameterException(spec.commandLine(), "--eval-test must be 0 (all) or positive, got " + evalTest);
        Path dir = out != null ? out : Path.of("runs", "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (Files.exists(dir.resolve("summary.json")) || Files.exists(dir.resolve("pretrain"))) {
            throw new ParameterException(spec.commandLine(), "--out " + dir + " already holds a demo; choose another folder");
        }
        PrintWriter log = spec.commandLine().getOut();
        FashionMnistLocator.Found found = FashionMnistLocator.standard(data).locate();
        FashionMnist train = FashionMnist.read(found.dir(), FashionMnist.Split.TRAIN);
        FashionMnist test = FashionMnist.read(found.dir(), FashionMnist.Split.TEST);
        log.println("data: Fashion-MNIST from " + found.dir() + " (" + found.source() + ")");
        log.println("output: " + dir.toAbsolutePath().normalize());
        Demo.Settings settings = Demo.Settings.defaults(minutes, seed);
        settings = new Demo.Settings(settings.model(), settings.pretrainMinutes(), settings.batch(), settings.blr(), settings.trainCost(),
                evalTrain, evalTest, settings.probe(), seed);
        try (Backend backend = deviceOptions.open(log::println)) {
            new Demo(backend, train, test, settings, log, System.console() != null)
                    .dataSource(new DataSource(DataSource.FASHION_MNIST, found.dir().toString(), 0), "Fashion-MNIST train split from " + found.dir())
                    .run(dir.toAbsolutePath().normalize());
        }
        return 0;
    }
}
