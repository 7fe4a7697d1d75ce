package dev.tessera.tests.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.mae.MaeConfig;
import dev.tessera.mae.MaeOutput;
import dev.tessera.mae.MaskedAutoencoder;
import dev.tessera.vit.ViTConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MAE vs PyTorch with the same weights and the same masking noise: masking (bit-exact ids_restore and mask),
 * encoder latent, predictions, loss (with and without norm-pix), every gradient, and 5 AdamW steps —
 * including a patch-16, 3-channel case.
 */
class MaeGoldenTest {
    static final CpuBackend BE = new CpuBackend(2);

    @AfterAll
    static void close() {
        BE.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"mae_p4_pix", "mae_p4_normpix", "mae_p16_normpix"})
    void matchesPyTorch(String caseName) {
        check(caseName, BE);
    }

    /** The whole comparison on {@code be}: {@link GoldenOnCudaTest} runs it on the GPU. */
    static void check(String caseName, Backend be) {
        Golden g = Golden.load(caseName);
        MaeConfig cfg = caseName.startsWith("mae_p16")
                ? MaeConfig.of(ViTConfig.of(48, 16, 3, 48, 2, 3), 32, 1, 2).withNormPixLoss(true)
                : MaeConfig.of(ViTConfig.of(28, 4, 1, 32, 2, 2), 16, 1, 2).withNormPixLoss(caseName.endsWith("normpix"));
        MaskedAutoencoder model = new MaskedAutoencoder(cfg, be, new Rng(0));
        g.loadInto(model);
        Tensor images = g.tensor(be, "input.images"), noise = g.tensor(be, "input.noise");

        MaeOutput out = model.forward(images, 0.75, noise);
        assertArrayEquals(g.ints("out.ids_restore"), out.idsRestore().toIntArray(), "ids_restore must match exactly");
        assertArrayEquals(g.floats("out.mask"), out.mask().toArray(), "mask must match exactly");
        g.assertOutput("out.latent", out.latent().toArray());
        g.assertOutput("out.pred", out.pred().toArray());
        g.assertOutput("out.loss", new float[] {out.loss().item()});
        out.loss().backward();
        g.assertGradients(model);

        Steps.check(g, be, model, () -> model.forward(images, 0.75, noise).loss());
    }
}
