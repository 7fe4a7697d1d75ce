package dev.tessera.vit;

import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.tensor.Scoped;
import dev.tessera.engine.tensor.Tensor;
import java.util.List;

/**
 * The encoder pass that the classifier, MAE's encoder and CAE's share, written once over parts its model owns
 * (each model registers them under its own checkpoint names and in its own init order):
 * <pre>
 *   embed    images [N, C, H, W] → patch tokens + their position rows [N, L, D]   (patch_embed, pos_embed[1:])
 *            … the model may keep a subset here: MAE's random masking, CAE's visible (or masked) patches …
 *   encode   tokens [N, K, D] → prepend cls + pos_embed[0] (the table's zero cls row) → blocks → norm
 * </pre>
 * which is {@code forward_encoder} of MAE's {@code models_mae.py} with the masking step left to the model.
 * With K = L and no masking it is the classifier's {@code forward_features}.
 *
 * @param norm the final norm, or null (a classifier with average pooling has {@code fc_norm} after pooling instead)
 */
public record ViTEncoder(PatchEmbed patchEmbed, Parameter clsToken, Tensor posEmbed, List<Block> blocks, LayerNorm norm) {
    public ViTEncoder {
        blocks = List.copyOf(blocks);
    }

    /** images [N, C, H, W] → the patch embeddings plus their position rows, [N, L, D] (no cls token). */
    public Tensor embed(Tensor images) {
        Tensor x = patchEmbed.forward(images);                                // [N, L, D]
        return x.add(posEmbed.narrow(1, 1, x.dim(1)));                        // + pos, without the cls row
    }

    /** tokens [N, K, D] from {@link #embed} (all of them or a subset) → [N, 1+K, D] after the blocks and the norm. */
    public Tensor encode(Tensor tokens) {
        Tensor x = throughBlocks(tokens, blocks.size());
        return norm != null ? norm.forward(x) : x;
    }

    /**
     * tokens [N, K, D] → prepend the cls token → the first {@code upTo} blocks, before any final norm: [N, 1+K, D].
     * Under no-grad each block runs in its own nested scope ({@link Scoped#keep}), so evaluation and CAE's
     * teacher pass hold one block's temporaries at a time instead of all of them.
     */
    public Tensor throughBlocks(Tensor tokens, int upTo) {
        if (upTo < 0 || upTo > blocks.size()) {
            throw new IllegalArgumentException("ViTEncoder: " + upTo + " blocks requested of " + blocks.size());
        }
        int n = tokens.dim(0), d = tokens.dim(2);
        Tensor cls = clsToken.tensor().add(posEmbed.narrow(1, 0, 1));       // [1, 1, D]  cls + the zero row
        Tensor x = Tensor.concat(1, cls.expand(n, 1, d), tokens);            // [N, 1+K, D]
        for (int i = 0; i < upTo; i++) {
            Block b = blocks.get(i);
            Tensor in = x;
            x = Scoped.keep(x.backend(), x.shape(), () -> b.forward(in));
        }
        return x;
    }
}
