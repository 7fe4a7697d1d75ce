package dev.tessera.train;

import java.util.random.RandomGenerator;

/**
 * A model that predicts the pixels of removed patches, which is what {@link ReconstructionFigure} draws
 * (MAE's Fig. 2: original, masked input, reconstruction, reconstruction with the visible patches pasted).
 */
@FunctionalInterface
public interface Reconstructor {

    /**
     * The model's picture of {@code n} images.
     *
     * @param predicted       [n, C, H, W] in the model's input space (normalised like the data); removed patches
     *                        predicted, visible ones predicted too when {@code predictsVisible}, else anything
     * @param mask            [n, L] 1 = removed, 0 = visible, raster patch order
     * @param patchSize       p
     * @param predictsVisible whether the model also outputs the visible patches (MAE yes, CAE no)
     */
    record Prediction(float[] predicted, float[] mask, int patchSize, boolean predictsVisible) {}

    /**
     * Masks {@code images} ([n, C, H, W], normalised) with masks drawn from {@code rng} and predicts them. The
     * caller has put the model in evaluation mode and opened a step scope; nothing is recorded for backward.
     */
    Prediction predict(float[] images, int n, RandomGenerator rng);
}
