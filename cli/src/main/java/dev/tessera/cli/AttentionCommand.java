package dev.tessera.cli;

import dev.tessera.data.Dataset;
import dev.tessera.data.Normalize;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.eval.ClsAttention;
import dev.tessera.eval.EncoderSource;
import dev.tessera.eval.EvalData;
import dev.tessera.eval.Subset;
import dev.tessera.viz.HeatMap;
import dev.tessera.vit.VisionTransformer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tessera attention}: where the cls token looks — the last block's softmax row of the cls query over
 * the patch keys, averaged over heads ({@link ClsAttention}), drawn as heat maps over held-out images (the
 * images on one row, their overlays below; {@link HeatMap}).
 */
@Command(name = "attention", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw the last block's cls-token attention (mean over heads) over held-out images.",
                "Example: tessera attention --checkpoint runs/mae1/checkpoint.safetensors --out attn.png"})
final class AttentionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "A pretraining checkpoint (its encoder is drawn).")
    Path checkpoint;

    @Option(names = "--random-init", description = "Draw a randomly initialised encoder of the same shape instead.")
    boolean randomInit;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "mae-tiny", description = "MAE preset for the shape without a checkpoint (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--out", paramLabel = "PNG", required = true, description = "The picture to write.")
    Path out;

    @Option(names = "--data", paramLabel = "DIR", description = "As for linprobe; images come from the test (val) split.")
    String data;

    @Option(names = "--images", paramLabel = "N", defaultValue = "8", description = "How many images (default ${DEFAULT-VALUE}; 8 per row).")
    int images;

    @Option(names = "--alpha", paramLabel = "A", defaultValue = "0.5", description = "Weight of the colour map over the image (default ${DEFAULT-VALUE}).")
    float alpha;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Which test images (a random subset; default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin

    DeviceOptions deviceOptions;

    @Override
    public Integer call() {
        if (images < 1) throw new ParameterException(spec.commandLine(), "--images must be a positive integer, got " + images);
        if (!(alpha >= 0 && alpha <= 1)) throw new ParameterException(spec.commandLine(), "--alpha must be in [0, 1], got " + alpha);
        if (checkpoint == null && !randomInit) {
            throw new ParameterException(spec.commandLine(), "give --checkpoint FILE, or --random-init for a random encoder");
        }
        PrintWriter log = spec.commandLine().getOut();
        EncoderSource source = checkpoint == null ? EncoderSource.randomPreset(model) : EncoderSource.fromCheckpoint(checkpoint, model,
                spec.commandLine().getParseResult().hasMatchedOption("--model"));
        if (randomInit) source = source.asRandom();
        var cfg = source.encoder();
        int c = cfg.inChans(), s = cfg.imgSize(), g = cfg.gridSize(), t = 1 + cfg.numPatches();
        EvalData d = EvalData.open(data, c, s, false);
        Dataset shown = Subset.random(d.test(), images, seed);
        int n = shown.size();
        float[] pixels = new float[n * c * s * s];
        for (int i = 0; i < n; i++) shown.load(i, pixels, i * c * s * s, null);
        try (Backend backend = deviceOptions.open(log::println)) {
            VisionTransformer vit = source.buildEncoder(backend, seed);
            float[] rows;
            try (StepScope _ = backend.openScope()) {
                rows = ClsAttention.rows(vit, Tensor.of(backend, pixels, n, c, s, s));
            }
            float[] maps = ClsAttention.patchMaps(rows, n, cfg.heads(), t);
            Normalize norm = Normalize.forChannels(c);
            List<float[]> pictures = new ArrayList<>(), heat = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                pictures.add(norm.denormalize(pixels, i * c * s * s, c, s, s));
                float[] m = new float[g * g];
                System.arraycopy(maps, i * g * g, m, 0, g * g);
                heat.add(m);
            }
            HeatMap.write(out, pictures, c, s, s, heat, g, alpha);
        }
        log.println("encoder: " + source.description());
        log.println("cls attention of block " + (cfg.depth() - 1) + " (mean of " + cfg.heads() + " heads) over " + n + " test images: " + out);
        log.flush();
        return 0;
    }
}
