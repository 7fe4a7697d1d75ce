package dev.tessera.vit;

/**
 * How a ViT turns its tokens into one feature vector (MAE {@code models_vit.py}, docs/mae.md#linear-probe, docs/mae.md#fine-tuning).
 * <ul>
 *   <li>{@link #CLS}: the cls token after the encoder's final {@code norm} — the linear-probe feature.</li>
 *   <li>{@link #AVG}: the mean of the L patch tokens (cls excluded), then {@code fc_norm} — MAE fine-tuning's
 *       {@code global_pool}; the final {@code norm} does not exist in that model.</li>
 * </ul>
 */
public enum Pool {
    CLS,
    AVG
}
