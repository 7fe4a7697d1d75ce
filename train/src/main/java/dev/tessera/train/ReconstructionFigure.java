package dev.tessera.train;

import dev.tessera.data.Dataset;
import dev.tessera.data.Normalize;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.viz.ImageGrid;
import dev.tessera.viz.PatchMask;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * recon.png: MAE's reconstruction figure (paper Fig. 2) for a few held-out images, one row each, columns
 * original · masked input · reconstruction · reconstruction with the visible patches pasted back. For a model
 * that predicts only the removed patches (CAE) the reconstruction column shows the visible patches grey.
 *
 * <p>The images are evenly spaced through the held-out set and the masks come from a generator of their own
 * (seed, "figure"), so every picture of a run shows the same images under the same masks and the
 * pictures of successive checkpoints can be compared. Drawing never touches the training streams: the model
 * runs in evaluation mode (no drop-path draws) and without recording gradients.
 */
public final class ReconstructionFigure {
    /** Rows in the figure. */
    public static final int IMAGES = 8;
    private static final long FIGURE_STREAM = 0x666967L; // "fig"

    private ReconstructionFigure() {}

    /**
     * Draws the figure of {@code objective}'s model for images of {@code heldOut} to {@code png}; false (and
     * nothing written) when the model predicts no pixels.
     */
    @SuppressWarnings("try") // the no-grad handle is only closed
    public static boolean write(Path png, Objective objective, Dataset heldOut, long seed) {
        if (objective.reconstructor().isEmpty()) return false;
        Reconstructor r = objective.reconstructor().get();
        Module model = objective.model();
        int n = Math.min(IMAGES, heldOut.size());
        int c = heldOut.channels(), h = heldOut.height(), w = heldOut.width(), size = c * h * w;
        float[] images = images(heldOut, n, seed);

        Reconstructor.Prediction p;
        boolean wasTraining = model.isTraining();
        model.train(false);
        try (StepScope s = objective.backend().openScope(); var off = GradMode.noGrad()) {
            p = r.predict(images, n, maskRng(seed));
        } finally {
            model.train(wasTraining);
        }

        Normalize norm = Normalize.forChannels(c);
        int l = p.mask().length / n;
        ImageGrid grid = new ImageGrid(c, h, w).titles("original", "masked", "reconstruction", "+ visible");
        for (int i = 0; i < n; i++) {
            float[] mask = Arrays.copyOfRange(p.mask(), i * l, (i + 1) * l);
            float[] orig = norm.denormalize(images, i * size, c, h, w);
            float[] pred = norm.denormalize(p.predicted(), i * size, c, h, w);
            float[] recon = p.predictsVisible() ? pred : PatchMask.masked(pred, c, h, w, p.patchSize(), invert(mask));
            grid.addRow(orig, PatchMask.masked(orig, c, h, w, p.patchSize(), mask), recon,
                    PatchMask.pasteVisible(orig, pred, c, h, w, p.patchSize(), mask));
        }
        grid.write(png);
        return true;
    }

    /**
     * {@code n} images evenly spaced through {@code heldOut}, [n, C, H, W] normalised, loaded with the figure's own
     * generator: every figure of a run (and the other figures of a checkpoint) shows the same images.
     */
    static float[] images(Dataset heldOut, int n, long seed) {
        if (heldOut.size() == 0) throw new IllegalArgumentException("no images to draw: the dataset is empty");
        int size = heldOut.channels() * heldOut.height() * heldOut.width();
        float[] images = new float[n * size];
        Rng load = new Rng(seed).fork(FIGURE_STREAM);
        for (int i = 0; i < n; i++) heldOut.load((int) ((long) i * heldOut.size() / n), images, i * size, load);
        return images;
    }

    /** A generator for the figure's masks, separate from the one that loads its images. */
    static Rng maskRng(long seed) {
        return new Rng(seed).fork(FIGURE_STREAM + 1);
    }

    private static float[] invert(float[] mask) {
        float[] out = new float[mask.length];
        for (int i = 0; i < mask.length; i++) out[i] = 1f - mask[i];
        return out;
    }
}
