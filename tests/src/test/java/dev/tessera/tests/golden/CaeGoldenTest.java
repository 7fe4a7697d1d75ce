package dev.tessera.tests.golden;

import dev.tessera.cae.CaeConfig;
import dev.tessera.cae.CaeOutput;
import dev.tessera.cae.ContextAutoencoder;
import dev.tessera.cae.ContextAutoencoder.MaskIndices;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.ViTConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CAE vs PyTorch (the official modeling_cae computation) with the same weights and mask: encoder latent,
 * the stop-gradient alignment target, Ẑm, predictions, the three losses, every gradient (two are zero in
 * exact arithmetic: the regressor's key-LN bias shifts every key equally and cancels in the softmax), and 5
 * AdamW steps — for both the pixel and the token target.
 */
class CaeGoldenTest {
    static final CpuBackend BE = new CpuBackend(2);

    @AfterAll
    static void close() {
        BE.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cae_pixels", "cae_tokens"})
    void matchesPyTorch(String caseName) {
        check(caseName, BE);
    }

    /** The whole comparison on {@code be}: {@link GoldenOnCudaTest} runs it on the GPU. */
    static void check(String caseName, Backend be) {
        Golden g = Golden.load(caseName);
        CaeConfig cfg = CaeConfig.of(ViTConfig.of(28, 4, 1, 32, 2, 2).withQvBias(true).withLayerScale(0.1), 2, 1, 32, 2)
                .withNumMasked(24);
        if (caseName.equals("cae_tokens")) cfg = cfg.withTokenTarget(16);
        ContextAutoencoder model = new ContextAutoencoder(cfg, be, new Rng(0));
        g.loadInto(model);
        Tensor images = g.tensor(be, "input.images");
        MaskIndices masks = MaskIndices.of(g.tensor(be, "input.mask"));
        Tensor tokens = caseName.equals("cae_tokens") ? g.tensor(be, "input.tokens") : null;

        CaeOutput out = model.forward(images, masks, tokens);
        g.assertOutput("out.latent", out.latent().toArray());
        g.assertOutput("out.align_target", out.alignTarget().toArray());
        g.assertOutput("out.zm_hat", out.zmHat().toArray());
        g.assertOutput("out.pred", out.pred().toArray());
        g.assertOutput("out.loss_main", new float[] {out.lossMain().item()});
        g.assertOutput("out.loss_align", new float[] {out.lossAlign().item()});
        g.assertOutput("out.loss", new float[] {out.loss().item()});
        out.loss().backward();
        g.assertGradients(model);

        Steps.check(g, be, model, () -> model.forward(images, masks, tokens).loss());
    }
}
