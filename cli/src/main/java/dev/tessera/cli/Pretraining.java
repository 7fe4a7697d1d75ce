package dev.tessera.cli;

import dev.tessera.cae.CaeConfig;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Precision;
import dev.tessera.engine.dist.Collectives;
import dev.tessera.interop.InitWeights;
import dev.tessera.interop.ModelWeights;
import dev.tessera.interop.WeightImport;
import dev.tessera.mae.MaeConfig;
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
import picocli.CommandLine.Option;
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

    @Option(names = "--init", paramLabel = "FILE", description = "Start from these weights (continue pre-training): a whole model of this"
            + " method, or an encoder (e.g. the official mae_pretrain_vit_base.pth) whose decoder then starts fresh; any format 'tessera"
            + " import' reads. The model is the file's, or the preset with its encoder, unless --model names one.")
    Path init;

    @Mixin
    HeadsOption heads;

    @Mixin
    PrecisionOption precision;

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
        if (init != null && options.resume != null) {
            throw new ParameterException(spec.commandLine(), "--init starts a new run from weights and --resume continues a run: give one of them");
        }
        ModelWeights initial = init == null ? null : WeightImport.read(init, heads.hints());
        ModelSpec model;
        TrainSettings settings;
        DataSource data;
        Precision arithmetic = precision.get();
        if (options.resume != null) {
            RunConfig recorded = Checkpoint.read(RunDirectory.existing(options.resume).checkpoint()).run();
            if (recorded == null) throw new IllegalArgumentException("--resume " + options.resume + ": the checkpoint holds weights only");
            checkResumable(recorded);
            Precision trained = recorded.precisionOrFp32();
            if (precision.given() && arithmetic != trained) {
                throw new ParameterException(spec.commandLine(), "--resume " + options.resume + " continues a run trained with --precision "
                        + trained.label() + "; leave out --precision " + arithmetic.label());
            }
            arithmetic = trained;
            model = recorded.model();
            settings = options.session(recorded.settings().toBuilder()).build();
            data = recorded.data();
        } else {
            model = options.model != null ? modelSpec(options.model) : initial != null ? modelOf(initial) : modelSpec(defaultModel());
            settings = options.settings(method());
            data = DataSource.parse(options.data, options.crop == null ? 0 : options.crop);
        }
        try (Backend backend = Devices.open(options.device, options.threads(), arithmetic, out::println);
             Collectives comm = options.distributed ? Distributed.join(backend) : Collectives.single()) {
            if (comm.rank() != 0) out = new PrintWriter(PrintWriter.nullWriter());   // rank 0 alone prints and writes
            Objective objective = model.build(backend, settings.seed());
            if (initial != null) {
                for (String n : initial.notes()) out.println("note: " + n);
                out.println(InitWeights.load(objective.model(), method(), model.describe(), initial, false));
            }
            int[] shape = objective.imageShape();
            DataSource.Opened opened = data.open(shape[0], shape[2], model.method());
            if (opened.note() != null) out.println("note: " + opened.note());
            Trainer trainer = new Trainer(objective, opened.train(), settings).heldOut(opened.heldOut()).listen(new Pictures())
                    .log(out, System.console() != null)
                    .source(data, opened.description(), spec.commandLine().getParseResult().originalArgs()).distributed(comm)
                    .cudaGraph(!options.noCudaGraph);
            if (options.resume != null) trainer.resumeFrom(options.resume);
            else trainer.output(options.out != null ? options.out : defaultRunDir());
            TrainResult r = trainer.run();
            out.println(String.format(Locale.ROOT, "%s: %d of %d steps, final loss %.4f, %.1f min, %.1f img/s",
                    r.finished() ? "done" : "stopped", r.steps(), r.totalSteps(), r.finalLoss(), r.minutes(), r.imagesPerSecond()));
            out.println("run directory: " + r.runDir());
            return 0;
        }
    }

    /** The model an --init file starts without --model: its preset with this method's options, or the file's own model as it is. */
    private ModelSpec modelOf(ModelWeights initial) {
        ModelSpec fromFile = InitWeights.modelFor(initial, method());
        List<String> presets = method().equals("mae") ? MaeConfig.presetNames() : CaeConfig.presetNames();
        if (presets.contains(fromFile.name())) return modelSpec(fromFile.name());
        if (!modelOptionsGiven().isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--init " + init + " holds a model of its own shape (" + fromFile.describe()
                    + "), used as it is; " + String.join(", ", modelOptionsGiven()) + " cannot change it");
        }
        return fromFile;
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
