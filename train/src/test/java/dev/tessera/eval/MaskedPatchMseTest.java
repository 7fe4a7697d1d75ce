package dev.tessera.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.data.FashionMnist;
import dev.tessera.data.FashionMnistLocator;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.mae.MaeConfig;
import dev.tessera.mae.MaskedAutoencoder;
import dev.tessera.mae.MaskingStrategy;
import dev.tessera.train.testing.SyntheticImages;
import dev.tessera.vit.ViTConfig;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class MaskedPatchMseTest {

    // A 4×4 image of four constant 2×2 patches with values 1, 2 (top) and 3, 4 (bottom), raster order.
    private static final float[] QUADRANTS = {
            1, 1, 2, 2,
            1, 1, 2, 2,
            3, 3, 4, 4,
            3, 3, 4, 4};

    @Test
    void visibleMeanFillOnAHandCheckableImage() {
        // Visible: patches 0 and 3 → mean of the visible pixels (4·1 + 4·4)/8 = 2.5. Removed pixels are 2 and 3:
        // every error is ±0.5, so the MSE is 0.25.
        boolean[] removed = {false, true, true, false};
        assertEquals(0.25, MaskedPatchMse.visibleMeanMse(QUADRANTS, 0, 1, 4, 4, 2, removed), 1e-12);
        // Constant patches have an all-zero norm-pix target, so predicting zeros is exact.
        assertArrayEquals(new float[4], MaskedPatchMse.normPixZeroLoss(Backends.cpu(), QUADRANTS, 1, 1, 4, 4, 2));
        assertEquals(2.5, MaskedPatchMse.meanOverRemoved(new float[] {9, 2, 3, 9}, 0, removed));
    }

    @Test
    void normPixZeroPredictionCostsNMinusOneOverNOnAVariedPatch() {
        // Patch (0, 0, 0, 4): μ = 1, Σ(x−μ)² = 12, unbiased σ² = 4, mean t² = (12/4)/(4 + 1e-6) ≈ 3/4 = (n−1)/n (docs/mae.md#checks).
        float[] img = {0, 0, 0, 4};
        assertEquals(0.75 * 4 / (4 + 1e-6), MaskedPatchMse.normPixZeroLoss(Backends.cpu(), img, 1, 1, 2, 2, 2)[0], 1e-6);
    }

    @Test
    void removedPatchesAreTheLargestNoiseAsInMae() {
        float[] noise = {0.5f, 0.1f, 0.9f, 0.3f, 0.7f, 0.2f};
        assertArrayEquals(new boolean[] {true, false, true, false, true, false}, MaskedPatchMse.removed(noise, 0, 6, 3));
        // And the MAE removes exactly those patches for the same noise.
        MaskedAutoencoder mae = tinyMae();
        try (var _ = GradMode.noGrad()) {
            float[] n16 = new Rng(5).uniform(2 * 4, 0f, 1f);
            float[] mask = mae.forward(Tensor.zeros(Backends.cpu(), 2, 1, 8, 8), 0.75, Tensor.of(Backends.cpu(), n16, 2, 4)).mask().toArray();
            for (int s = 0; s < 2; s++) {
                boolean[] r = MaskedPatchMse.removed(n16, s * 4, 4, 1);
                for (int p = 0; p < 4; p++) assertEquals(r[p], mask[s * 4 + p] == 1f, "sample " + s + " patch " + p);
            }
        }
    }

    @Test
    void modelMseIsTheMaeLossWithTheFixedMasksWhateverTheBatch() {
        MaskedAutoencoder mae = tinyMae();
        SyntheticImages data = new SyntheticImages(10, 8, 2, 0.3f, 1);
        double a = MaskedPatchMse.model(mae, data, 0.75, 7, 3), b = MaskedPatchMse.model(mae, data, 0.75, 7, 10);
        assertEquals(a, b, 1e-5);
        // Recompute directly: all 10 images in one forward with the same noise stream.
        float[] noise = MaskingStrategy.RANDOM.noise(10, 2, 1, new Rng(7));
        float[] images = new float[10 * 64];
        for (int i = 0; i < 10; i++) data.load(i, images, i * 64, null);
        try (var _ = GradMode.noGrad()) {
            double direct = mae.forward(Tensor.of(Backends.cpu(), images, 10, 1, 8, 8), 0.75,
                    Tensor.of(Backends.cpu(), noise, 10, 4)).loss().item();
            assertEquals(direct, a, 1e-5);
        }
        // The baselines do not depend on a model but on the same masks: equal for equal seeds.
        assertEquals(MaskedPatchMse.visibleMeanBaseline(data, 4, 0.75, 7), MaskedPatchMse.visibleMeanBaseline(data, 4, 0.75, 7));
    }

    @Test
    void reproducesBaselinesMdOnFashionMnistTest() {
        var dir = FashionMnistLocator.DEBIAN_DIR;
        assumeTrue(Files.isRegularFile(dir.resolve("t10k-images-idx3-ubyte.gz")), "Fashion-MNIST not installed at " + dir);
        FashionMnist test = FashionMnist.read(dir, FashionMnist.Split.TEST);
        // docs/baselines.md: 0.935 for filling each masked patch with the image's visible mean (75% random masks).
        assertEquals(0.935, MaskedPatchMse.visibleMeanBaseline(test, 4, 0.75, MaskedPatchMse.MASK_SEED), 0.005);
        // The norm-pix constant prediction, for comparison: 30% of the 4×4 patches are constant background.
        assertEquals(0.65, MaskedPatchMse.normPixConstantBaseline(test, 4, 0.75, MaskedPatchMse.MASK_SEED), 0.01);
    }

    static MaskedAutoencoder tinyMae() {
        return new MaskedAutoencoder(MaeConfig.of(ViTConfig.of(8, 4, 1, 16, 1, 2), 16, 1, 2).withNormPixLoss(true),
                Backends.cpu(), new Rng(3));
    }
}
