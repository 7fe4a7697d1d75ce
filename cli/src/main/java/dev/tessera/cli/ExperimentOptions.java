package dev.tessera.cli;

import dev.tessera.data.FashionMnist;
import dev.tessera.data.FashionMnistLocator;
import dev.tessera.train.DataSource;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options and checks that {@code demo} and {@code compare} share (a picocli mixin): where the data comes from,
 * where the results go, the evaluation sets and the seed. Each command keeps its own budget ({@code --minutes},
 * whose default differs) and the options only it has.
 */
final class ExperimentOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default runs/<command>-<timestamp>); must not hold an earlier run.")
    Path out;

    @Option(names = "--data", paramLabel = "DIR", description = "A folder with the Fashion-MNIST files (default: found or downloaded).")
    Path data;

    @Option(names = "--eval-train", paramLabel = "N", defaultValue = "10000",
            description = "Training images the probe and kNN are fitted on (default ${DEFAULT-VALUE}; 0: all 60k).")
    int evalTrain;

    @Option(names = "--eval-test", paramLabel = "N", defaultValue = "0", description = "Test images evaluated (default: all 10000).")
    int evalTest;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    /** Fashion-MNIST's two splits, read once, and how the runs' config.json records them. */
    record Data(FashionMnist train, FashionMnist test, DataSource source, String description) {}

    /** Checks the command's budget and the shared sizes; each failure is a usage error that names its option. */
    void validate(double minutes) {
        if (!(minutes > 0) || Double.isInfinite(minutes)) throw usage("--minutes must be positive, got " + minutes);
        if (evalTrain != 0 && evalTrain < 20) throw usage("--eval-train must be 0 (all) or at least 20 (kNN-20), got " + evalTrain);
        if (evalTest < 0) throw usage("--eval-test must be 0 (all) or positive, got " + evalTest);
    }

    /**
     * {@code --out}, or runs/&lt;command&gt;-&lt;timestamp&gt;, as an absolute path. Refuses a folder that holds any of
     * {@code earlierRun} (files an earlier run of the command wrote, which this one would overwrite).
     */
    Path outputFolder(String what, String... earlierRun) {
        Path dir = out != null ? out
                : Path.of("runs", mixee.name() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        for (String name : earlierRun) {
            if (Files.exists(dir.resolve(name))) throw usage("--out " + dir + " already holds " + what + "; choose another folder");
        }
        return dir.toAbsolutePath().normalize();
    }

    /** Finds (or downloads) Fashion-MNIST, reads both splits and logs where the data comes from and the results go. */
    Data load(Path outputFolder, PrintWriter log) {
        FashionMnistLocator.Found found = FashionMnistLocator.standard(data).locate();
        FashionMnist train = FashionMnist.read(found.dir(), FashionMnist.Split.TRAIN);
        FashionMnist test = FashionMnist.read(found.dir(), FashionMnist.Split.TEST);
        log.println("data: Fashion-MNIST from " + found.dir() + " (" + found.source() + ")");
        log.println("output: " + outputFolder);
        return new Data(train, test, new DataSource(DataSource.FASHION_MNIST, found.dir().toString(), 0),
                "Fashion-MNIST train split from " + found.dir());
    }

    private ParameterException usage(String message) {
        return new ParameterException(mixee.commandLine(), message);
    }
}
