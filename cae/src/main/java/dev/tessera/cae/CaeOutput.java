package dev.tessera.cae;

import dev.tessera.engine.tensor.Tensor;

/**
 * What {@link ContextAutoencoder#forward} returns. The official forward returns (logits, latent_predict,
 * latent_target) and the training loop forms the losses; we return the losses too, plus the encoder output
 * for probes and tests.
 *
 * @param loss        scalar: lossMain + alignWeight · lossAlign
 * @param lossMain    scalar: cross-entropy over the N·M masked tokens (TOKENS) or MSE over every element of
 *                    the masked patches' normalised pixels (PIXELS)
 * @param lossAlign   scalar: MSE(Ẑm, alignTarget) over every element (before the weight)
 * @param zmHat       [N, M, Dd] the regressor's predicted latents of the masked patches (final LN output)
 * @param pred        [N, M, K] logits or [N, M, p²·C] predicted normalised pixels, raster order of masked patches
 * @param latent      [N, 1+Nv, D] encoder output on the visible patches after its final norm (row 0 = cls)
 * @param alignTarget [N, M, Dd] the teacher's latents of the masked patches (no grad)
 */
public record CaeOutput(Tensor loss, Tensor lossMain, Tensor lossAlign, Tensor zmHat, Tensor pred, Tensor latent,
                        Tensor alignTarget) {}
