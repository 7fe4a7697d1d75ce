package dev.tessera.cli;

import dev.tessera.cae.CaeConfig;
import dev.tessera.cae.DalleConfig;
import dev.tessera.cae.DalleWeights;
import dev.tessera.cae.KMeansTokenizer;
import dev.tessera.cae.PatchEmbedInit;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.train.DalleTokens;
import dev.tessera.train.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code tessera pretrain cae}: Context Autoencoder pretraining (Chen et al. 2022; docs/cae.md). */
@Command(name = "cae", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pre-train a Context Autoencoder: encode the visible patches, regress the masked patches' latents, decode",
                "their targets, and align the predicted latents with the encoder's own (docs/cae.md).",
                "Recipe: AdamW (0.9, 0.999), wd 0.05, clip 3.0, lr 1.5e-3 at batch 2048 (scaled with the batch), min lr 1e-5.",
                "Targets: normalised pixels (default, no tokenizer), k-means tokens (tessera tokenizer fit, then --target tokens"
                        + " --tokenizer FILE), or the paper's DALL-E tokens (--target dalle --tokenizer encoder.pkl, the released"
                        + " weights from " + DalleWeights.RELEASE_URL + ")."})
final class PretrainCaeCommand extends Pretraining {

    @Option(names = "--target", paramLabel = "T", description = "pixels (default for the presets without a tokenizer), tokens (k-means) or dalle (the DALL-E tokenizer, CAE's published target).")
    String target;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "k-means codebook for --target tokens (from 'tessera tokenizer fit'), or the DALL-E encoder for --target dalle (encoder.pkl as released, a .pth state dict or .safetensors).")
    Path tokenizer;

    @Option(names = {"--num-mask-patches", "--num-masked"}, paramLabel = "M|release|paper",
            description = {"Masked patches per image: a count, 'release' (the PyTorch release's --num_mask_patches 98 of 196, half"
                    + " the grid; the default, as the released scripts and checkpoints use it) or 'paper' (75 of 196 as the CAE paper v1"
                    + " and PaddlePaddle's release, scaled to the grid)."})
    String numMasked;

    @Option(names = "--align-weight", paramLabel = "L", description = "Weight λ of the alignment loss (default 2).")
    Double alignWeight;

    @Option(names = "--patch-embed-init", paramLabel = "I",
            description = {"Init of the patch-embedding conv: beit (CAE's official truncated normal ±0.02; the ViT-B/L presets)"
                    + " or xavier (as MAE's; cae-tiny's default, because with 4×4×1 patches the official rule leaves the encoder's"
                    + " output nearly image-independent — docs/cae.md#initialisation)."})
    String patchEmbedInit;

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
                if (DalleTokens.isDalleFile(tokenizer)) options.fail("--tokenizer " + tokenizer + " is a DALL-E encoder: use --target dalle");
                try (CpuBackend cpu = new CpuBackend(1)) {
                    c = c.withTokenTarget(KMeansTokenizer.load(cpu, tokenizer).k());
                }
            }
            case "dalle" -> {
                if (tokenizer == null) {
                    options.fail("--target dalle needs --tokenizer FILE: the DALL-E encoder weights (download " + DalleWeights.RELEASE_URL + ")");
                }
                if (!Files.isRegularFile(tokenizer)) {
                    options.fail("--tokenizer " + tokenizer + ": no such file (download the DALL-E encoder from " + DalleWeights.RELEASE_URL + ")");
                }
                if (!DalleTokens.isDalleFile(tokenizer)) options.fail("--tokenizer " + tokenizer + " is not a DALL-E encoder (no blocks.input.w)");
                c = c.withTokenTarget(DalleConfig.fromShapes(shapes(tokenizer)).vocabSize());
            }
            default -> options.fail("--target must be pixels, tokens or dalle, got '" + target + "'");
        }
        if (numMasked != null) c = c.withNumMasked(maskCount(numMasked, c.numPatches()));
        if (alignWeight != null) {
            options.nonNegative("--align-weight", alignWeight);
            c = c.withAlignWeight(alignWeight);
        }
        if (patchEmbedInit != null) {
            c = c.withPatchEmbedInit(switch (patchEmbedInit.trim().toLowerCase(Locale.ROOT)) {
                case "beit" -> PatchEmbedInit.BEIT;
                case "xavier" -> PatchEmbedInit.XAVIER;
                default -> throw new ParameterException(spec.commandLine(), "--patch-embed-init must be beit or xavier, got '" + patchEmbedInit + "'");
            });
        }
        return ModelSpec.of(c, c.target() == dev.tessera.cae.CaeTarget.TOKENS ? tokenizer : null);
    }

    /** The weight shapes of a DALL-E encoder file, by official key. */
    private static Map<String, int[]> shapes(Path file) {
        Map<String, int[]> out = new LinkedHashMap<>();
        DalleWeights.read(file).forEach((k, t) -> out.put(k, t.shape()));
        return out;
    }

    /**
     * The mask count {@code value} asks for on a grid of {@code patches}: 'release' = round(L·98/196) (Atten4Vis/CAE and
     * lxtGH/CAE {@code run_pretraining.py} and scripts), 'paper' = round(L·75/196) (CAE paper v1, PaddlePaddle/VIMER CAE),
     * or a count in [1, L−1].
     */
    private int maskCount(String value, int patches) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        int m;
        if (v.equals("release")) m = (int) Math.round(patches * 98 / 196.0);
        else if (v.equals("paper")) m = (int) Math.round(patches * 75 / 196.0);
        else {
            try {
                m = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new ParameterException(spec.commandLine(), "--num-mask-patches must be a count, 'release' or 'paper', got '" + value + "'");
            }
        }
        if (m < 1 || m >= patches) {
            throw new ParameterException(spec.commandLine(), "--num-mask-patches " + value + " gives " + m + " masked patches; the model has " + patches
                    + ", so it must be in [1, " + (patches - 1) + "]");
        }
        return m;
    }

    @Override
    List<String> modelOptionsGiven() {
        List<String> given = new ArrayList<>();
        if (target != null) given.add("--target");
        if (tokenizer != null) given.add("--tokenizer");
        if (numMasked != null) given.add("--num-mask-patches");
        if (alignWeight != null) given.add("--align-weight");
        if (patchEmbedInit != null) given.add("--patch-embed-init");
        return given;
    }
}
