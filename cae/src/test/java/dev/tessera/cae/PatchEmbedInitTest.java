package dev.tessera.cae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import org.junit.jupiter.api.Test;

/**
 * The patch-embedding init (docs/cae.md#initialisation): the official truncated normal for the ViT-B/L presets,
 * xavier_uniform for the 4×4×1 patches of cae-tiny — and why: under the official rule that encoder starts almost
 * blind to the image.
 */
class PatchEmbedInitTest {
    final Backend be = Backends.cpu();

    @Test
    void presetsUseTheOfficialRuleExceptTheSmallPatchOne() {
        assertEquals(PatchEmbedInit.BEIT, CaeConfig.preset("cae-vit-base-patch16").patchEmbedInit());
        assertEquals(PatchEmbedInit.BEIT, CaeConfig.preset("cae-vit-large-patch16").patchEmbedInit());
        assertEquals(PatchEmbedInit.XAVIER, CaeConfig.preset("cae-tiny").patchEmbedInit());
        assertEquals(PatchEmbedInit.BEIT, CaeConfig.of(CaeConfig.preset("cae-tiny").encoder(), 1, 1, 192, 3).patchEmbedInit());
    }

    @Test
    void aConfigWithoutTheFieldMeansTheOfficialRule() {
        CaeConfig c = CaeConfig.preset("cae-tiny");
        CaeConfig old = new CaeConfig(c.name(), c.encoder(), c.regressorDepth(), c.decoderDepth(), c.decoderDim(), c.decoderHeads(),
                c.decoderLayerScaleInit(), c.numMasked(), c.alignWeight(), c.target(), c.vocabSize(), c.masking(), c.fixInitWeight(), null);
        assertEquals(PatchEmbedInit.BEIT, old.patchEmbedInit());
    }

    /** xavier_uniform on the [D, C·p·p] = [192, 16] view: U(±√(6/208)), std bound/√3, bias 0. */
    @Test
    void xavierIsUniformOnTheFlattenedConv() {
        ContextAutoencoder cae = new ContextAutoencoder(CaeConfig.preset("cae-tiny"), be, new Rng(3));
        float[] w = cae.encoder().patchEmbed().namedParameters().get("proj.weight").tensor().toArray();
        double bound = Math.sqrt(6.0 / (16 + 192));
        double max = 0, s2 = 0;
        for (float x : w) {
            max = Math.max(max, Math.abs(x));
            s2 += (double) x * x;
        }
        assertTrue(max <= bound && max > 0.98 * bound, "max |w| " + max + " vs bound " + bound);
        assertEquals(bound / Math.sqrt(3), Math.sqrt(s2 / w.length), 0.03 * bound);
        for (float x : cae.encoder().patchEmbed().namedParameters().get("proj.bias").tensor().toArray()) assertEquals(0f, x);
        float[] beit = new ContextAutoencoder(CaeConfig.preset("cae-tiny").withPatchEmbedInit(PatchEmbedInit.BEIT), be, new Rng(3))
                .encoder().patchEmbed().namedParameters().get("proj.weight").tensor().toArray();
        for (float x : beit) assertTrue(Math.abs(x) <= 0.02f);
    }

    /**
     * The reason for the exception, measured at init on the full cae-tiny: the share of the encoder's output
     * variance that differs between images. Under the official rule a 16-value patch barely moves a token next
     * to its position row, so the output is nearly the same for every image; pre-training keeps it that way
     * (docs/cae.md#initialisation has the numbers after 211 steps, in Tessera and in PyTorch).
     */
    @Test
    void officialRuleLeavesTheSmallPatchEncoderNearlyBlindToTheImage() {
        double xavier = betweenImageShare(CaeConfig.preset("cae-tiny"));
        double beit = betweenImageShare(CaeConfig.preset("cae-tiny").withPatchEmbedInit(PatchEmbedInit.BEIT));
        // Measured: xavier 0.33, beit 0.0057 (seeds 7 and 11).
        assertTrue(xavier > 0.1, "xavier share " + xavier);
        assertTrue(beit < 0.02, "beit share " + beit);
        assertTrue(xavier > 10 * beit, "xavier " + xavier + " vs beit " + beit);
    }

    /** Σ_k Var_i(z_ik) / Σ_k E_i(z_ik²) of the encoder's output z at the centre patch over a batch of noise images. */
    private double betweenImageShare(CaeConfig config) {
        ContextAutoencoder cae = new ContextAutoencoder(config, be, new Rng(7));
        cae.train(false);
        int n = 32, l = config.numPatches(), d = config.encoder().dim();
        Tensor images = Tensor.of(be, new Rng(11).normal(n * 28 * 28, 0f, 1f), n, 1, 28, 28);
        int[] all = new int[n * l];
        for (int i = 0; i < all.length; i++) all[i] = i % l;
        float[] z = cae.encode(images, Tensor.ofInts(be, all, n, l)).toArray();   // [N, 1+L, D]
        double[] mean = new double[d], sq = new double[d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                double v = z[(i * (l + 1) + 1 + l / 2) * d + k];
                mean[k] += v / n;
                sq[k] += v * v / n;
            }
        }
        double between = 0, total = 0;
        for (int k = 0; k < d; k++) {
            between += sq[k] - mean[k] * mean[k];
            total += sq[k];
        }
        return between / total;
    }
}
