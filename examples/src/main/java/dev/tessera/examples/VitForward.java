package dev.tessera.examples;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Pool;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.VisionTransformer;
import java.io.PrintStream;

/**
 * A Vision Transformer forward, printed stage by stage: two 28×28 grey images through the {@code vit-tiny-28}
 * preset (patch 4 → 7×7 = 49 patches, width 192, 12 blocks of 3 heads, 10 classes). Letters as in the docs:
 * N images, L patches, D width.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp examples/target/tessera-examples.jar dev.tessera.examples.VitForward
 * </pre>
 */
public final class VitForward {
    private VitForward() {}

    /** The preset this example builds. */
    public static final String PRESET = "vit-tiny-28";

    /** Builds the seeded model, prints each stage's shape, and returns it with its input and logits. */
    public static Result run(PrintStream out) {
        Backend be = new CpuBackend(2);
        ViTConfig config = ViTConfig.preset(PRESET);
        VisionTransformer vit = new VisionTransformer(config, be, new Rng(0));
        Tensor images = Tensor.of(be, new Rng(1).normal(2 * 28 * 28, 0f, 1f), 2, 1, 28, 28);
        out.println(config.name() + ": " + config.describe());
        try (var noGrad = GradMode.noGrad()) {                      // inference: nothing is recorded
            show(out, "images", images, "[N, C, H, W]");
            show(out, "patch_embed", vit.patchEmbed().forward(images), "[N, L, D]   one token per 4×4 patch, raster order");
            show(out, "+ cls, + pos_embed", vit.forwardTokens(images, 0), "[N, 1+L, D] the cls token is row 0");
            show(out, "after 12 blocks", vit.forwardTokens(images, config.depth()), "[N, 1+L, D] attention mixes the tokens");
            show(out, "norm", vit.forwardFeatures(images), "[N, 1+L, D]");
            show(out, "cls feature", vit.features(images, Pool.CLS), "[N, D]      what a linear probe reads");
            Tensor logits = vit.forward(images);
            show(out, "head", logits, "[N, classes]");
            return new Result(vit, images, logits.toArray());
        }
    }

    /** The model, its input [2, 1, 28, 28] and the logits [2, 10] (row-major). */
    public record Result(VisionTransformer model, Tensor images, float[] logits) {}

    private static void show(PrintStream out, String stage, Tensor t, String letters) {
        out.printf("  %-20s %-16s %s%n", stage, java.util.Arrays.toString(t.shape()), letters);
    }

    public static void main(String[] args) {
        run(System.out);
    }
}
