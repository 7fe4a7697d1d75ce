package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.eval.AttentiveProbe;
import dev.tessera.eval.EncoderSource;
import dev.tessera.eval.EvalData;
import dev.tessera.eval.ExtractionProgress;
import dev.tessera.eval.FeatureSet;
import dev.tessera.eval.Features;
import dev.tessera.eval.ProbeRecipe;
import dev.tessera.vit.VisionTransformer;
import java.io.PrintWriter;
import java.util.Map;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tessera attnprobe}: CAE's attentive probe (docs/cae.md#evaluation; lxtGH/CAE's {@code run_attentive.py}) — a learned
 * query token cross-attends to the frozen encoder's tokens, then BatchNorm without affine and a linear head, trained with
 * SGD (Nesterov momentum 0.9, cosine to 1e-6). The tokens are (1+L)·D floats per image (10k Fashion-MNIST images with
 * mae-tiny: 384 MB), re-extracted from augmented images every epoch or computed once ({@link ProbeCommand}).
 */
@Command(name = "attnprobe", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Attentive probe of a frozen encoder (CAE): one cross-attention block with a learned query, BN, linear.",
                "Example: tessera attnprobe --checkpoint runs/cae1/checkpoint.safetensors --train-limit 10000 --epochs 30"})
final class AttnprobeCommand extends ProbeCommand {
    @Option(names = "--lr", paramLabel = "LR", description = "Peak SGD lr (default 0.05: CAE's 0.4 at 2048 images per step, scaled to batch 256).")
    Double lr;

    @Option(names = "--nesterov", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Nesterov momentum (default on: timm's create_optimizer, which CAE's probe uses, builds SGD with nesterov=True).")
    boolean nesterov;

    @Override
    protected String name() {
        return "attnprobe";
    }

    @Override
    protected double evaluate(Backend backend, EncoderSource source, EvalData data, Map<String, Object> result, PrintWriter out) {
        ProbeRecipe r = recipe(AttentiveProbe.recipe(), lr).withNesterov(nesterov);
        VisionTransformer encoder = source.buildEncoder(backend, seed);
        var cfg = encoder.config();
        int b = Features.DEFAULT_BATCH;
        IntFunction<FeatureSet> train = trainingFeatures(epoch -> Features.tokens(encoder, data.train(), b, epoch,
                epoch == 0 ? new ExtractionProgress(out, "train tokens", data.train().size()) : null), result);
        FeatureSet test = Features.tokens(encoder, data.test(), b, new ExtractionProgress(out, "test tokens", data.test().size()));
        FeatureSet first = train.apply(0);
        AttentiveProbe probe = new AttentiveProbe(backend, 1 + cfg.numPatches(), cfg.dim(), cfg.heads(),
                Math.max(first.numClasses(), test.numClasses()), new Rng(seed));
        out.println("probe: SGD " + (r.nesterov() ? "Nesterov " : "") + "momentum 0.9, " + schedule(r) + ", "
                + (everyEpoch() ? "tokens of freshly augmented images every epoch" : "tokens computed once"));
        probe.fit(train, r, seed, every10(printer(out), r.epochs()));
        putRecipe(result, r);
        return probe.accuracy(test);
    }
}
