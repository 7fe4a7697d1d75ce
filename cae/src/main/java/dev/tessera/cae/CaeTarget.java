package dev.tessera.cae;

/**
 * What CAE's decoder predicts for each masked patch (docs/cae.md#decoder, docs/cae.md#targets).
 * <ul>
 *   <li>{@link #TOKENS}: a discrete token id per patch, learned with cross-entropy over a vocabulary of K ids
 *       — the paper's target. The official tokenizer is OpenAI's DALL-E dVAE (8192 ids), whose weights
 *       Tessera cannot ship; Tessera's stand-in is a k-means codebook over normalised patches
 *       ({@link KMeansTokenizer}), or any ids the caller supplies.</li>
 *   <li>{@link #PIXELS}: MAE's normalised pixels of the patch (per-patch mean 0, unbiased variance 1, eps
 *       1e-6) regressed with MSE — needs no tokenizer, so it is the CPU default.</li>
 * </ul>
 */
public enum CaeTarget {
    PIXELS,
    TOKENS
}
