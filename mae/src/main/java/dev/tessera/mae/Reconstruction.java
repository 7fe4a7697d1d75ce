package dev.tessera.mae;

import dev.tessera.engine.tensor.Tensor;

/**
 * Pictures from {@link MaskedAutoencoder#reconstruct}, all [N, C, H, W] in the model's input space (e.g.
 * ImageNet-normalised; the caller maps them to displayable pixels).
 *
 * @param predicted the decoder's prediction for every patch (de-normalised per patch when norm_pix_loss)
 * @param pasted    visible patches copied from the input, removed patches from {@code predicted}
 *                  (the demo's "reconstruction + visible")
 * @param masked    the input with removed patches set to 0 (what the encoder saw)
 * @param mask      [N, L] 0 keep, 1 remove
 */
public record Reconstruction(Tensor predicted, Tensor pasted, Tensor masked, Tensor mask) {}
