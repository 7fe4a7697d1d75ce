package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.train.AlignmentFigure;
import dev.tessera.train.CaeObjective;
import dev.tessera.train.Checkpoint;
import dev.tessera.train.DataSource;
import dev.tessera.train.MaeObjective;
import dev.tessera.train.MaskingFigure;
import dev.tessera.train.ModelSpec;
import dev.tessera.train.Objective;
import dev.tessera.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tessera figure}: the papers' pictures of a checkpoint, as PNGs.
 * <ul>
 *   <li>{@code alignment} (a pixel-target CAE): original · all patches through the encoder, straight into the decoder ·
 *       masked input · the regressor's usual prediction ({@link AlignmentFigure}); draw it for the λ = 2 and λ = 0 arms
 *       of {@code tessera compare}.</li>
 *   <li>{@code mask-ratios} (an MAE): the same images reconstructed at mask ratios 0.5 to 0.95 ({@link MaskingFigure}).</li>
 *   <li>{@code mask-strategies} (an MAE): random 75%, block-wise 50% and grid-wise 75% masking side by side.</li>
 * </ul>
 * Images come from the run's held-out split, or from {@code --data}.
 */
@Command(name = "figure", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw a paper figure of a checkpoint into a PNG: alignment (CAE), mask-ratios or mask-strategies (MAE).",
                "Example: tessera figure alignment --checkpoint runs/compare/cae/checkpoint.safetensors --out align.png"})
final class FigureCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KIND", description = "alignment, mask-ratios or mask-strategies.")
    String kind;

    @Option(names = "--checkpoint", paramLabel = "FILE", required = true, description = "A run's checkpoint.safetensors.")
    Path checkpoint;

    @Option(names = "--out", paramLabel = "PNG", required = true, description = "The picture to write.")
    Path out;

    @Option(names = "--data", paramLabel = "DIR", description = "Images to draw: as for pretrain (default: the run's data, held-out split).")
    String data;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the images' order and the masks (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    DeviceOptions deviceOptions;

    @Override
    public Integer call() {
        String k = kind.toLowerCase(Locale.ROOT);
        String method = switch (k) {
            case "alignment" -> "cae";
            case "mask-ratios", "mask-strategies" -> "mae";
            default -> throw new ParameterException(spec.commandLine(), "KIND must be alignment, mask-ratios or mask-strategies, got '" + kind + "'");
        };
        if (!Files.isRegularFile(checkpoint)) throw new ParameterException(spec.commandLine(), "--checkpoint " + checkpoint + ": no such file");
        if (!out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw new ParameterException(spec.commandLine(), "--out " + out + ": the figure is a PNG; give a file name ending in .png");
        }
        Checkpoint ck = Checkpoint.read(checkpoint);
        ModelSpec ms = ck.spec();
        if (ms == null) throw new IllegalArgumentException(checkpoint + " does not say which model it holds (no model_spec metadata)");
        if (!ms.method().equals(method)) {
            throw new IllegalArgumentException("figure " + k + " needs a" + (method.equals("cae") ? " CAE" : "n MAE") + " checkpoint; "
                    + checkpoint + " holds " + ms.describe());
        }
        DataSource source = ReconstructCommand.imagesToDraw(spec, ck, data, 0);
        PrintWriter log = spec.commandLine().getOut();
        try (Backend backend = deviceOptions.open(log::println)) {
            Objective objective = ms.build(backend, seed);
            ck.loadInto(objective.model(), ms.describe());
            int[] shape = objective.imageShape();
            DataSource.Opened opened = source.open(shape[0], shape[2]);
            Trainer.checkImageShape(ms.name(), shape, opened.heldOut(), "the data (" + source.describe() + ")");
            switch (k) {
                case "alignment" -> AlignmentFigure.write(out, (CaeObjective) objective, opened.heldOut(), seed);
                case "mask-ratios" -> MaskingFigure.write(out, MaskingFigure.Kind.RATIOS, (MaeObjective) objective, opened.heldOut(), seed);
                default -> MaskingFigure.write(out, MaskingFigure.Kind.STRATEGIES, (MaeObjective) objective, opened.heldOut(), seed);
            }
            log.println(k + " figure of " + ms.describe() + " at step " + ck.step() + ": " + out.toAbsolutePath());
        }
        return 0;
    }
}
