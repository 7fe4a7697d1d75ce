package dev.tessera.mae;

import dev.tessera.engine.tensor.Tensor;

/**
 * What {@link MaskedAutoencoder#forward} returns (the official forward returns loss, pred, mask; we also hand
 * back ids_restore and the latent for probes, visualisation and tests).
 *
 * @param loss       scalar: mean per-patch MSE over the removed patches
 * @param pred       [N, L, p²·C] predictions for every patch (normalised space when norm_pix_loss)
 * @param mask       [N, L] 0 keep, 1 remove, original patch order
 * @param idsRestore [N, L] int32, argsort of ids_shuffle
 * @param latent     [N, 1+len_keep, D] encoder output after its final norm (row 0 = cls)
 */
public record MaeOutput(Tensor loss, Tensor pred, Tensor mask, Tensor idsRestore, Tensor latent) {}
