package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.eval.Demo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
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

    @Mixin
    ExperimentOptions experiment;

    @Mixin
    DeviceOptions deviceOptions;

    @Override
    public Integer call() {
        experiment.validate(minutes);
        Path dir = experiment.outputFolder("a demo", "summary.json", "pretrain");
        PrintWriter log = spec.commandLine().getOut();
        ExperimentOptions.Data data = experiment.load(dir, log);
        Demo.Settings settings = Demo.Settings.defaults(minutes, experiment.seed);
        settings = new Demo.Settings(settings.model(), settings.pretrainMinutes(), settings.batch(), settings.blr(), settings.trainCost(),
                experiment.evalTrain, experiment.evalTest, settings.probe(), experiment.seed);
        try (Backend backend = deviceOptions.open(log::println)) {
            new Demo(backend, data.train(), data.test(), settings, log, System.console() != null)
                    .dataSource(data.source(), data.description())
                    .run(dir);
        }
        return 0;
    }
}
