package dev.tessera.cli;

import dev.tessera.mae.MaeConfig;
import dev.tessera.mae.MaskingStrategy;
import dev.tessera.train.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera pretrain mae}: Masked Autoencoder pretraining (He et al. 2022; docs/mae.md). */
@Command(name = "mae", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pre-train a Masked Autoencoder: hide most patches, reconstruct their pixels (docs/mae.md).",
                "Recipe: AdamW (0.9, 0.95), wd 0.05, lr = blr × batch × accum / 256, warmup + half cosine per iteration.",
                "Example: tessera pretrain mae --model mae-tiny --epochs 1 --out runs/mae1"})
final class PretrainMaeCommand extends Pretraining {

    @Option(names = "--mask-ratio", paramLabel = "R", description = "Fraction of patches removed (default: the preset's, 0.75).")
    Double maskRatio;

    @Option(names = "--norm-pix", negatable = true, description = "Per-patch normalised pixel targets (--no-norm-pix for viewable"
            + " reconstructions; default: the preset's, on).")
    Boolean normPix;

    @Option(names = "--masking", paramLabel = "KIND", description = "random (default), block or grid (the paper's Table 1f ablation).")
    String masking;

    @Override
    String method() {
        return "mae";
    }

    @Override
    String defaultModel() {
        return "mae-tiny";
    }

    @Override
    ModelSpec modelSpec(String preset) {
        MaeConfig c = MaeConfig.preset(preset);
        if (maskRatio != null) {
            c = c.withMaskRatio(Checks.maskRatio(options.spec.commandLine(), maskRatio));
        }
        if (normPix != null) c = c.withNormPixLoss(normPix);
        if (masking != null) c = c.withMasking(MaskingStrategy.parse(masking));
        return ModelSpec.of(c);
    }

    @Override
    List<String> modelOptionsGiven() {
        List<String> given = new ArrayList<>();
        if (maskRatio != null) given.add("--mask-ratio");
        if (normPix != null) given.add(normPix ? "--norm-pix" : "--no-norm-pix");
        if (masking != null) given.add("--masking");
        return given;
    }
}
