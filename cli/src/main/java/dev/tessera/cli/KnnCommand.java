package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.eval.EncoderSource;
import dev.tessera.eval.EvalData;
import dev.tessera.eval.ExtractionProgress;
import dev.tessera.eval.FeatureSet;
import dev.tessera.eval.Features;
import dev.tessera.eval.KnnClassifier;
import dev.tessera.vit.Pool;
import dev.tessera.vit.VisionTransformer;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tessera knn}: weighted k-nearest-neighbour top-1 of a frozen encoder's features (DINO's protocol:
 * cosine similarity of L2-normalised features, k = 20, votes weighted by exp(sim/0.07)); see {@link KnnClassifier}.
 */
@Command(name = "knn", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"k-NN top-1 of a frozen encoder's features (k = 20, cosine, votes weighted by exp(sim/0.07)).",
                "Example: tessera knn --checkpoint runs/mae1/checkpoint.safetensors --train-limit 10000"})
final class KnnCommand extends EvalCommand {
    @Option(names = "--k", paramLabel = "K", defaultValue = "20", description = "Neighbours that vote (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.07", description = "Vote weight exp(sim/T) (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--pool", paramLabel = "P", defaultValue = "cls",
            description = "cls: the cls token after the final norm; avg: mean of the patch tokens after the final norm (default ${DEFAULT-VALUE}).")
    String pool;

    @Override
    protected String name() {
        return "knn";
    }

    @Override
    protected double evaluate(Backend backend, EncoderSource source, EvalData data, Map<String, Object> result, PrintWriter out) {
        if (epochs != null) fail("--epochs does not apply to knn (nothing is trained)");
        if (k < 1) fail("--k must be a positive integer, got " + k);
        if (!(temperature > 0)) fail("--temperature must be positive, got " + temperature);
        Pool p = LinprobeCommand.parsePool(this, pool);
        VisionTransformer encoder = source.buildEncoder(backend, seed);
        int b = batchOr(Features.DEFAULT_BATCH);
        FeatureSet train = Features.pooled(encoder, data.train(), p, b, new ExtractionProgress(out, "train features", data.train().size()));
        FeatureSet test = Features.pooled(encoder, data.test(), p, b, new ExtractionProgress(out, "test features", data.test().size()));
        result.put("k", k);
        result.put("temperature", temperature);
        result.put("pool", p.name().toLowerCase(Locale.ROOT));
        return new KnnClassifier(k, temperature).accuracy(backend, train, test);
    }
}
