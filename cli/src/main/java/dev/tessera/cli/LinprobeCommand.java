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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tessera linprobe}: MAE's linear probe (docs/mae.md#linear-probe) on a frozen encoder — features computed once, then
 * BatchNorm without affine (eps 1e-6) and a linear layer trained with LARS; see {@link LinearProbe} for the
 * recipe and why it is scaled the way it is. {@code --pixels} probes the flattened normalised pixels instead.
 */
@Command(name = "linprobe", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Linear probe of a frozen encoder (cls after the final norm → BatchNorm without affine → linear; LARS).",
                "Example: tessera linprobe --checkpoint runs/mae1/checkpoint.safetensors --train-limit 10000"})
final class LinprobeCommand extends EvalCommand {
    @Option(names = "--pool", paramLabel = "P", defaultValue = "cls",
            description = "cls: the cls token after the final norm (MAE's default); avg: mean of the patch tokens, each after the"
                    + " final norm (default ${DEFAULT-VALUE}).")
    String pool;

    @Option(names = "--pixels", description = "Probe the flattened normalised pixels instead of an encoder (the raw-pixel baseline).")
    boolean pixels;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak LARS lr (default 6.4, MAE's; the LARS step is lr·0.001·‖w‖).")
    Double lr;

    @Option(names = "--warmup-epochs", paramLabel = "E", description = "Linear warmup before the cosine (default 10).")
    Double warmupEpochs;

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
        ProbeRecipe recipe = recipe(LinearProbe.recipe());
        FeatureSet train, test;
        if (pixels) {
            train = Features.pixels(data.train());
            test = Features.pixels(data.test());
            result.put("features", "pixels");
        } else {
            Pool p = parsePool(this, pool);
            VisionTransformer encoder = source.buildEncoder(backend, seed);
            int b = Features.DEFAULT_BATCH;
            train = Features.pooled(encoder, data.train(), p, b, new ExtractionProgress(out, "train features", data.train().size()));
            test = Features.pooled(encoder, data.test(), p, b, new ExtractionProgress(out, "test features", data.test().size()));
            result.put("features", p.name().toLowerCase(Locale.ROOT));
        }
        LinearProbe probe = new LinearProbe(backend, train.dim(), Math.max(train.numClasses(), test.numClasses()), new Rng(seed));
        out.println(String.format(Locale.ROOT, "probe: LARS, %d epochs, batch %d, lr %.3g, warmup %.3g", recipe.epochs(), recipe.batch(),
                recipe.lr(), recipe.warmupEpochs()));
        probe.fit(train, recipe, seed, every10(printer(out), recipe.epochs()));
        putRecipe(result, recipe);
        return probe.accuracy(test);
    }

    private ProbeRecipe recipe(ProbeRecipe base) {
        ProbeRecipe r = base.withEpochs(epochsOr(base.epochs())).withBatch(batchOr(base.batch()));
        if (lr != null) {
            if (!(lr > 0)) fail("--lr must be positive, got " + lr);
            r = r.withLr(lr);
        }
        if (warmupEpochs != null) {
            if (!(warmupEpochs >= 0 && warmupEpochs < r.epochs())) fail("--warmup-epochs must be in [0, epochs), got " + warmupEpochs);
            r = new ProbeRecipe(r.epochs(), r.batch(), r.lr(), warmupEpochs, r.optimizer());
        }
        return r;
    }

    static void putRecipe(Map<String, Object> result, ProbeRecipe r) {
        result.put("optimizer", r.optimizer().name().toLowerCase(Locale.ROOT));
        result.put("epochs", r.epochs());
        result.put("batch", r.batch());
        result.put("lr", r.lr());
        result.put("warmup_epochs", r.warmupEpochs());
    }

    /** Passes on the first, every 10th and the last epoch line. */
    static java.util.function.Consumer<String> every10(java.util.function.Consumer<String> log, int epochs) {
        int[] n = {0};
        return line -> {
            n[0]++;
            if (n[0] == 1 || n[0] % 10 == 0 || n[0] == epochs) log.accept(line);
        };
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
