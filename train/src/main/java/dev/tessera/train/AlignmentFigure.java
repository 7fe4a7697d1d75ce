package dev.tessera.train;

import dev.tessera.cae.CaeConfig;
import dev.tessera.cae.CaeMaskGenerator;
import dev.tessera.cae.CaeTarget;
import dev.tessera.cae.ContextAutoencoder;
import dev.tessera.data.Dataset;
import dev.tessera.data.Normalize;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Patchify;
import dev.tessera.viz.ImageGrid;
import dev.tessera.viz.PatchMask;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * CAE's argument for the alignment loss as a picture (Chen et al., "Context Autoencoder for Self-Supervised
 * Representation Learning"): feed ALL patches to the encoder and its output straight to the decoder, skipping the
 * regressor ({@link ContextAutoencoder#decodeAllEncoded}). If alignment made the regressor's outputs live in the
 * encoder's space, the decoder turns the encoder's output back into the image; without alignment (λ = 0) it has only
 * ever seen the regressor's outputs and returns noise. One row per image:
 * <pre>
 *   original · encoder(all) → decoder · masked input · regressor → decoder (the usual prediction) + visible
 * </pre>
 * The decoder predicts normalised patches (per-patch mean 0, variance 1). To draw them without handing the picture
 * each removed patch's own mean and variance (which would sketch the image whatever the model knows), every patch of
 * a row is de-normalised with ONE mean and spread of that image: its pixel mean and its average per-patch standard
 * deviation. Patch brightness is therefore lost in both model columns; shapes inside patches are the model's.
 */
public final class AlignmentFigure {
    /** Rows in the figure. */
    public static final int IMAGES = 8;

    private AlignmentFigure() {}

    /**
     * Draws the figure of {@code objective}'s CAE for images of {@code heldOut} into {@code png}.
     *
     * @throws IllegalArgumentException when the model predicts token ids, not pixels
     */
    @SuppressWarnings("try") // the no-grad handle is only closed
    public static void write(Path png, CaeObjective objective, Dataset heldOut, long seed) {
        ContextAutoencoder model = objective.model();
        CaeConfig c = model.config();
        if (c.target() != CaeTarget.PIXELS) {
            throw new IllegalArgumentException(c.name() + " predicts " + c.target().name().toLowerCase(java.util.Locale.ROOT)
                    + ", not pixels: the alignment figure needs a pixel-target CAE (pretrain cae --target pixels)");
        }
        int n = Math.min(IMAGES, heldOut.size());
        int ch = heldOut.channels(), h = heldOut.height(), w = heldOut.width(), size = ch * h * w;
        int p = c.encoder().patchSize(), l = c.numPatches(), m = c.numMasked(), pd = c.encoder().patchDim();
        float[] images = ReconstructionFigure.images(heldOut, n, seed);
        CaeMaskGenerator gen = c.maskGenerator();
        Rng rng = ReconstructionFigure.maskRng(seed);
        boolean[][] masks = new boolean[n][];
        for (int i = 0; i < n; i++) masks[i] = gen.next(rng);

        float[] patches, all, regressed;
        boolean wasTraining = model.isTraining();
        model.train(false);
        try (StepScope s = objective.backend().openScope(); var off = GradMode.noGrad()) {
            Tensor imgs = Tensor.of(objective.backend(), images, n, ch, h, w);
            patches = Patchify.patchify(imgs, p).toArray();                    // [N, L, pd]
            all = model.decodeAllEncoded(imgs).toArray();                      // [N, L, pd]
            regressed = model.forward(imgs, masks, null).pred().toArray();     // [N, M, pd]
        } finally {
            model.train(wasTraining);
        }

        float[] allPatches = new float[n * l * pd], regPatches = new float[n * l * pd], mask = new float[n * l];
        for (int i = 0; i < n; i++) {
            double[] stats = imageStats(patches, i * l * pd, l, pd);
            for (int q = 0, j = 0; q < l; q++) {
                int at = (i * l + q) * pd;
                denormalize(all, at, allPatches, at, pd, stats);
                if (masks[i][q]) {
                    mask[i * l + q] = 1f;
                    denormalize(regressed, (i * m + j) * pd, regPatches, at, pd, stats);
                    j++;
                }
            }
        }
        var be = objective.backend();
        float[] allImages, regImages;
        try (StepScope s = be.openScope()) {
            allImages = Patchify.unpatchify(Tensor.of(be, allPatches, n, l, pd), p, ch).toArray();
            regImages = Patchify.unpatchify(Tensor.of(be, regPatches, n, l, pd), p, ch).toArray();
        }

        Normalize norm = Normalize.forChannels(ch);
        ImageGrid grid = new ImageGrid(ch, h, w).titles("original", "all -> decoder", "masked", "regressor");
        for (int i = 0; i < n; i++) {
            float[] im = Arrays.copyOfRange(mask, i * l, (i + 1) * l);
            float[] orig = norm.denormalize(images, i * size, ch, h, w);
            grid.addRow(orig, norm.denormalize(allImages, i * size, ch, h, w), PatchMask.masked(orig, ch, h, w, p, im),
                    PatchMask.pasteVisible(orig, norm.denormalize(regImages, i * size, ch, h, w), ch, h, w, p, im));
        }
        grid.write(png);
    }

    /** {mean of the image's pixels, mean over its patches of the patch's unbiased standard deviation}. */
    private static double[] imageStats(float[] patches, int off, int l, int pd) {
        double mean = 0, stdSum = 0;
        for (int q = 0; q < l; q++) {
            double pm = 0, var = 0;
            for (int k = 0; k < pd; k++) pm += patches[off + q * pd + k];
            pm /= pd;
            for (int k = 0; k < pd; k++) var += Math.pow(patches[off + q * pd + k] - pm, 2);
            mean += pm;
            stdSum += Math.sqrt(var / (pd - 1) + 1e-6);
        }
        return new double[] {mean / l, stdSum / l};
    }

    private static void denormalize(float[] src, int from, float[] dst, int at, int pd, double[] stats) {
        for (int k = 0; k < pd; k++) dst[at + k] = (float) (src[from + k] * stats[1] + stats[0]);
    }
}
