package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.train.Checkpoint;
import dev.tessera.train.DataSource;
import dev.tessera.train.ModelSpec;
import dev.tessera.train.Objective;
import dev.tessera.train.Pictures;
import dev.tessera.train.RunConfig;
import dev.tessera.train.RunDirectory;
import dev.tessera.train.TrainResult;
import dev.tessera.train.TrainSettings;
import dev.tessera.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What {@code tessera pretrain mae} and {@code tessera pretrain cae} share: parse and check the options,
 * open the device and the data, build the model (or read it back for {@code --resume}), run the
 * {@link Trainer}, and print where everything went. A subclass only turns its own options into a
 * {@link ModelSpec}.
 */
abstract class Pretraining implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    TrainOptions options;

    /** "mae" or "cae". */
    abstract String method();

    /** The preset used when --model is not given. */
    abstract String defaultModel();

    /** The model for a new run: the preset with this method's options applied. */
    abstract ModelSpec modelSpec(String preset);

    /** This method's options that change the model or its loss (refused with --resume). */
    abstract List<String> modelOptionsGiven();

    @Override
    public Integer call() {
        options.validate();
        PrintWriter out = spec.commandLine().getOut();
        ModelSpec model;
        TrainSettings settings;
        DataSource data;
        if (options.resume != null) {
            RunConfig recorded = Checkpoint.read(RunDirectory.existing(options.resume).checkpoint()).run();
            if (recorded == null) throw new IllegalArgumentException("--resume " + options.resume + ": the checkpoint holds weights only");
            checkResumable(recorded);
            model = recorded.model();
            settings = options.session(recorded.settings().toBuilder()).build();
            data = recorded.data();
        } else {
            model = modelSpec(options.model != null ? options.model : defaultModel());
            settings = options.settings(method());
            data = DataSource.parse(options.data, options.crop == null ? 0 : options.crop);
        }
        try (Backend backend = Devices.open(options.device, options.threads(), out::println)) {
            Objective objective = model.build(backend, settings.seed());
            int[] shape = objective.imageShape();
            DataSource.Opened opened = data.open(shape[0], shape[2]);
            if (opened.note() != null) out.println("note: " + opened.note());
            Trainer trainer = new Trainer(objective, opened.train(), settings).heldOut(opened.heldOut()).listen(new Pictures())
                    .log(out, System.console() != null)
                    .source(data, opened.description(), spec.commandLine().getParseResult().originalArgs());
            if (options.resume != null) trainer.resumeFrom(options.resume);
            else trainer.output(options.out != null ? options.out : defaultRunDir());
            TrainResult r = trainer.run();
            out.println(String.format(Locale.ROOT, "%s: %d of %d steps, final loss %.4f, %.1f min, %.1f img/s",
                    r.finished() ? "done" : "stopped", r.steps(), r.totalSteps(), r.finalLoss(), r.minutes(), r.imagesPerSecond()));
            out.println("run directory: " + r.runDir());
            return 0;
        }
    }

    /** --resume continues the recorded run: the method must match and nothing that defines training may be given. */
    private void checkResumable(RunConfig recorded) {
        String where = "--resume " + options.resume;
        if (!recorded.model().method().equals(method())) {
            throw new IllegalArgumentException(where + ": the checkpoint is " + recorded.model().describe() + "; continue it with 'tessera pretrain "
                    + recorded.model().method() + " --resume " + options.resume + "'");
        }
        if (options.model != null && !options.model.equals(recorded.model().name())) {
            throw new IllegalArgumentException(where + ": the checkpoint is " + recorded.model().describe() + " but --model asks for "
                    + options.model);
        }
        List<String> given = new java.util.ArrayList<>(options.trainingOptionsGiven());
        given.addAll(modelOptionsGiven());
        if (!given.isEmpty()) {
            throw new ParameterException(spec.commandLine(), where + " continues the run with the settings in its config.json; leave out "
                    + String.join(", ", given));
        }
    }

    private Path defaultRunDir() {
        return Path.of("runs", method() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }
}
