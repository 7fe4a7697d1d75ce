package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.eval.EncoderSource;
import dev.tessera.eval.EvalData;
import dev.tessera.eval.ExtractionProgress;
import dev.tessera.eval.FeatureSet;
import dev.tessera.eval.Features;
import dev.tessera.eval.LinearProbe;
import dev.tessera.eval.ProbeRecipe;
import dev.tessera.vit.Pool;
import dev.tessera.vit.VisionTransformer;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tessera linprobe}: MAE's linear probe (docs/mae.md#linear-probe) on a frozen encoder — features of the
 * training images (re-augmented every epoch or computed once, {@link ProbeCommand}), then BatchNorm without affine
 * (eps 1e-6) and a linear layer trained with LARS; see {@link LinearProbe} for the recipe and why it is scaled the
 * way it is. {@code --pixels} probes the flattened normalised pixels instead.
 */
@Command(name = "linprobe", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Linear probe of a frozen encoder (cls after the final norm → BatchNorm without affine → linear; LARS).",
                "Example: tessera linprobe --checkpoint runs/mae1/checkpoint.safetensors --train-limit 10000"})
final class LinprobeCommand extends ProbeCommand {
    @Option(names = "--pool", paramLabel = "P", defaultValue = "cls",
            description = "cls: the cls token after the final norm (MAE's default); avg: mean of the patch tokens, each after the"
                    + " final norm (default ${DEFAULT-VALUE}).")
    String pool;

    @Option(names = "--pixels", description = "Probe the flattened normalised pixels instead of an encoder (the raw-pixel baseline).")
    boolean pixels;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak LARS lr (default 6.4, MAE's; the LARS step is lr·0.001·‖w‖).")
    Double lr;

    @Override
    protected String name() {
        return pixels ? "linprobe-pixels" : "linprobe";
    }

    @Override
    protected boolean readsEncoder() {
        return !pixels;
    }

    @Override
    protected double evaluate(Backend backend, EncoderSource source, EvalData data, Map<String, Object> result, PrintWriter out) {
        ProbeRecipe recipe = recipe(LinearProbe.recipe(), lr);
        IntFunction<FeatureSet> train;
        FeatureSet test;
        if (pixels) {
            train = trainingFeatures(epoch -> Features.pixels(data.train(), epoch), result);
            test = Features.pixels(data.test());
            result.put("features", "pixels");
        } else {
            Pool p = parsePool(this, pool);
            VisionTransformer encoder = source.buildEncoder(backend, seed);
            int b = Features.DEFAULT_BATCH;
            train = trainingFeatures(epoch -> Features.pooled(encoder, data.train(), p, b, epoch,
                    epoch == 0 ? new ExtractionProgress(out, "train features", data.train().size()) : null), result);
            test = Features.pooled(encoder, data.test(), p, b, new ExtractionProgress(out, "test features", data.test().size()));
            result.put("features", p.name().toLowerCase(Locale.ROOT));
        }
        FeatureSet first = train.apply(0);
        LinearProbe probe = new LinearProbe(backend, first.dim(), Math.max(first.numClasses(), test.numClasses()), new Rng(seed));
        out.println("probe: LARS, " + schedule(recipe) + ", "
                + (everyEpoch() ? "features of freshly augmented images every epoch" : "features computed once"));
        probe.fit(train, recipe, seed, every10(printer(out), recipe.epochs()));
        putRecipe(result, recipe);
        return probe.accuracy(test);
    }

    /** "cls" or "avg" (any case); the usage error names the valid values. */
    static Pool parsePool(EvalCommand cmd, String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "cls" -> Pool.CLS;
            case "avg" -> Pool.AVG;
            default -> throw cmd.usageError("--pool must be cls or avg, got '" + s + "'");
        };
    }
}
