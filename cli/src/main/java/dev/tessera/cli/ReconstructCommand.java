package dev.tessera.cli;

import dev.tessera.cae.CaeConfig;
import dev.tessera.engine.backend.Backend;
import dev.tessera.interop.InitWeights;
import dev.tessera.interop.ModelWeights;
import dev.tessera.interop.WeightImport;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.Checkpoint;
import dev.tessera.train.DataSource;
import dev.tessera.train.ModelSpec;
import dev.tessera.train.Objective;
import dev.tessera.train.ReconstructionFigure;
import dev.tessera.train.Trainer;
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
 * {@code tessera reconstruct}: MAE's figure (original, masked, reconstruction, + visible) from a checkpoint.
 * The model is rebuilt from the checkpoint's own metadata, so any run's checkpoint works without naming its
 * preset; {@code --model} overrides that (and is needed for a plain state dict without metadata).
 */
@Command(name = "reconstruct", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw held-out images, masked and reconstructed by a pretrained model, into a PNG.",
                "Example: tessera reconstruct --checkpoint runs/mae1/checkpoint.safetensors --out recon.png --mask-ratio 0.5"})
final class ReconstructCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "A run's checkpoint.safetensors.")
    Path checkpoint;

    @Option(names = "--init", paramLabel = "FILE", description = "Instead of --checkpoint: a whole MAE (or CAE) in any format 'tessera import'"
            + " reads, e.g. the official mae_visualize_vit_base.pth.")
    Path init;

    @Mixin
    HeadsOption heads;

    @Option(names = "--out", paramLabel = "PNG", required = true, description = "The picture to write.")
    Path out;

    @Option(names = "--data", paramLabel = "DIR", description = "Images to draw: as for pretrain (default: the run's data, held-out split).")
    String data;

    @Option(names = "--crop", paramLabel = "PX", description = "Crop size for an image folder (default: the model's image size).")
    Integer crop;

    @Option(names = "--mask-ratio", paramLabel = "R", description = "Fraction of patches removed (default: the model's).")
    Double maskRatio;

    @Option(names = "--model", paramLabel = "NAME", description = "Use this preset instead of the checkpoint's recorded model.")
    String model;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the masks (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin

    DeviceOptions deviceOptions;

    @Override
    public Integer call() {
        if (maskRatio != null) Checks.maskRatio(spec.commandLine(), maskRatio);
        if (crop != null && crop < 1) throw new ParameterException(spec.commandLine(), "--crop must be a positive integer, got " + crop);
        if ((checkpoint == null) == (init == null)) {
            throw new ParameterException(spec.commandLine(), "give --checkpoint FILE (a run's checkpoint) or --init FILE (weights in any format)");
        }
        PrintWriter log = spec.commandLine().getOut();
        if (init != null) return fromInit(log);
        Checkpoint ck = Checkpoint.read(checkpoint);
        ModelSpec ms = withMaskRatio(model != null ? preset(model) : recorded(ck));
        DataSource source = imagesToDraw(spec, ck, data, crop == null ? 0 : crop);
        try (Backend backend = deviceOptions.open(log::println)) {
            Objective objective = ms.build(backend, seed);
            ck.loadInto(objective.model(), ms.describe());
            draw(log, objective, ms, source, "step " + ck.step());
        }
        return 0;
    }

    /** --init: the model is the file's (or --model's), the images Fashion-MNIST's test split unless --data names others. */
    private Integer fromInit(PrintWriter log) {
        ModelWeights w = WeightImport.read(init, heads.hints());
        if (model == null && w.spec() == null) {
            throw new IllegalArgumentException(w.description() + " does not say which whole model it is; pass --model NAME");
        }
        ModelSpec ms = withMaskRatio(model != null ? preset(model) : w.spec());
        DataSource source = DataSource.parse(data, crop == null ? 0 : crop);
        try (Backend backend = deviceOptions.open(log::println)) {
            Objective objective = ms.build(backend, seed);
            log.println(InitWeights.load(objective.model(), ms.method(), ms.describe(), w, true));
            draw(log, objective, ms, source, "imported weights");
        }
        return 0;
    }

    private void draw(PrintWriter log, Objective objective, ModelSpec ms, DataSource source, String what) {
        int[] shape = objective.imageShape();
        DataSource.Opened opened = source.open(shape[0], shape[2]);
        Trainer.checkImageShape(ms.name(), shape, opened.heldOut(), "the data (" + source.describe() + ")");
        if (!ReconstructionFigure.write(out, objective, opened.heldOut(), seed)) {
            throw new IllegalArgumentException(ms.describe() + " predicts tokens, not pixels: there is nothing to draw");
        }
        log.println("reconstructions of " + Math.min(ReconstructionFigure.IMAGES, opened.heldOut().size()) + " images by "
                + ms.describe() + " at " + what + ": " + out.toAbsolutePath());
    }

    /** The images a picture of {@code ck} shows: {@code data} if given, else the run's own (refused when given in code). */
    static DataSource imagesToDraw(CommandSpec spec, Checkpoint ck, String data, int crop) {
        DataSource source = data != null ? DataSource.parse(data, crop) : ck.run() != null ? ck.run().data() : DataSource.parse(null, crop);
        if (source.kind().equals(DataSource.CUSTOM)) {
            throw new ParameterException(spec.commandLine(), ck.path() + " was trained on a dataset given in code (" + source.path()
                    + "); name the images to draw with --data fashion-mnist or --data DIR");
        }
        return source;
    }

    private static ModelSpec recorded(Checkpoint ck) {
        if (ck.spec() == null) {
            throw new IllegalArgumentException(ck.path() + " does not say which model it holds (no model_spec metadata); pass --model NAME");
        }
        return ck.spec();
    }

    private ModelSpec preset(String name) {
        if (MaeConfig.presetNames().contains(name)) return ModelSpec.of(MaeConfig.preset(name));
        if (CaeConfig.presetNames().contains(name)) return ModelSpec.of(CaeConfig.preset(name).withPixelTarget(), null);
        throw new IllegalArgumentException("unknown MAE or CAE preset '" + name + "'; valid: "
                + String.join(", ", MaeConfig.presetNames()) + ", " + String.join(", ", CaeConfig.presetNames()));
    }

    /** The spec with --mask-ratio applied: MAE's ratio, or CAE's masked count round(ratio · L). */
    private ModelSpec withMaskRatio(ModelSpec ms) {
        if (maskRatio == null) return ms;
        if (ms.method().equals("mae")) return ModelSpec.of(ms.maeConfig().withMaskRatio(maskRatio));
        if (ms.method().equals("cae")) {
            CaeConfig c = ms.caeConfig();
            int m = (int) Math.max(1, Math.min(c.numPatches() - 1, Math.round(maskRatio * c.numPatches())));
            return ModelSpec.of(c.withNumMasked(m), ms.tokenizer() == null ? null : Path.of(ms.tokenizer()));
        }
        return ms;
    }
}
