package dev.tessera.cae;

/**
 * How {@link ContextAutoencoder} initialises the patch-embedding conv weight (docs/cae.md#initialisation).
 *
 * <ul>
 *   <li>{@link #BEIT}: the official rule, CAE's {@code trunc_normal_(std=0.02)}, cut at ±0.02 absolute (Atten4Vis/CAE
 *       {@code _init_weights} of the encoder). Its scale does not depend on the patch, so a token's content part
 *       shrinks with the fan-in C·p²: about 0.3 per channel at ViT-B/16 (fan-in 768), against a sin-cos position row of
 *       about 0.7 — but only 0.04 at 28×28×1 with patch 4 (fan-in 16), where the encoder's output starts almost the
 *       same for every image.</li>
 *   <li>{@link #XAVIER}: xavier_uniform on the {@code [D, C·p·p]} view, bias 0 — the rule of MAE's official
 *       {@code initialize_weights} (facebookresearch/mae {@code models_mae.py}), whose bound grows as the fan-in
 *       shrinks. The small-patch preset {@code cae-tiny} uses it; see docs/cae.md#initialisation for the measured
 *       effect.</li>
 * </ul>
 */
public enum PatchEmbedInit {
    BEIT,
    XAVIER
}
