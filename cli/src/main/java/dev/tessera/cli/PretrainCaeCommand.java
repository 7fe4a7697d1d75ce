package dev.tessera.cli;

import dev.tessera.cae.CaeConfig;
import dev.tessera.cae.KMeansTokenizer;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.train.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera pretrain cae}: Context Autoencoder pretraining (Chen et al. 2022; docs/cae.md). */
@Command(name = "cae", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pre-train a Context Autoencoder: encode the visible patches, regress the masked patches' latents, decode",
                "their targets, and align the predicted latents with the encoder's own (docs/cae.md).",
                "Recipe: AdamW (0.9, 0.999), wd 0.05, clip 3.0, lr 1.5e-3 at batch 2048 (scaled with the batch), min lr 1e-5.",
                "Targets: normalised pixels (default, no tokenizer) or k-means tokens (tessera tokenizer fit, then --target tokens"
                        + " --tokenizer FILE)."})
final class PretrainCaeCommand extends Pretraining {

    @Option(names = "--target", paramLabel = "T", description = "pixels (default for the presets without a tokenizer) or tokens.")
    String target;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "k-means codebook for --target tokens (from 'tessera tokenizer fit').")
    Path tokenizer;

    @Option(names = "--num-masked", paramLabel = "M", description = "Masked patches per image (default: the preset's, half of them).")
    Integer numMasked;

    @Option(names = "--align-weight", paramLabel = "L", description = "Weight λ of the alignment loss (default 2).")
    Double alignWeight;

    @Override
    String method() {
        return "cae";
    }

    @Override
    String defaultModel() {
        return "cae-tiny";
    }

    @Override
    ModelSpec modelSpec(String preset) {
        CaeConfig c = CaeConfig.preset(preset);
        String t = target != null ? target.toLowerCase(Locale.ROOT) : tokenizer != null ? "tokens" : "pixels";
        switch (t) {
            case "pixels" -> {
                if (tokenizer != null) options.fail("--tokenizer is only used with --target tokens");
                c = c.withPixelTarget();
            }
            case "tokens" -> {
                if (tokenizer == null) options.fail("--target tokens needs --tokenizer FILE (make one with 'tessera tokenizer fit')");
                try (CpuBackend cpu = new CpuBackend(1)) {
                    c = c.withTokenTarget(KMeansTokenizer.load(cpu, tokenizer).k());
                }
            }
            default -> options.fail("--target must be pixels or tokens, got '" + target + "'");
        }
        if (numMasked != null) {
            options.positive("--num-masked", numMasked);
            c = c.withNumMasked(numMasked);
        }
        if (alignWeight != null) {
            options.nonNegative("--align-weight", alignWeight);
            c = c.withAlignWeight(alignWeight);
        }
        return ModelSpec.of(c, c.target() == dev.tessera.cae.CaeTarget.TOKENS ? tokenizer : null);
    }

    @Override
    List<String> modelOptionsGiven() {
        List<String> given = new ArrayList<>();
        if (target != null) given.add("--target");
        if (tokenizer != null) given.add("--tokenizer");
        if (numMasked != null) given.add("--num-masked");
        if (alignWeight != null) given.add("--align-weight");
        return given;
    }
}
