package dev.tessera.engine.optim;

/**
 * Layer-wise learning-rate decay for ViT fine-tuning (BEiT; MAE {@code util/lr_decay.py}, docs/mae.md#fine-tuning).
 * With n = depth + 1, layer ids are: 0 for {@code patch_embed.*}, {@code cls_token} and {@code pos_embed};
 * i + 1 for {@code blocks.i.*}; n for everything else (fc_norm, head). A parameter's lr multiplier is
 * decay^(n − id), so the head trains at the full rate and the patch embedding at decay^n.
 * Pass {@code layerDecay::scale} as the optimizer's lr-scale function.
 */
public final class LayerDecay {
    private final int depth;
    private final double decay;

    public LayerDecay(int depth, double decay) {
        if (depth < 0 || !(decay > 0 && decay <= 1)) {
            throw new IllegalArgumentException("LayerDecay: need depth >= 0 and decay in (0, 1], got " + depth + ", " + decay);
        }
        this.depth = depth;
        this.decay = decay;
    }

    /** The layer id of a parameter name (timm dotted names). */
    public int layerId(String name) {
        if (name.equals("cls_token") || name.equals("pos_embed") || name.startsWith("patch_embed")) return 0;
        if (name.startsWith("blocks.")) {
            int dot = name.indexOf('.', 7);
            String index = dot < 0 ? name.substring(7) : name.substring(7, dot);
            int i;
            try {
                i = Integer.parseInt(index);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("LayerDecay: cannot read a block index from '" + name + "'");
            }
            if (i < 0 || i >= depth) {
                throw new IllegalArgumentException("LayerDecay: '" + name + "' names block " + i + " of a depth-" + depth + " model");
            }
            return i + 1;
        }
        return depth + 1;
    }

    /** decay^(depth + 1 − layerId(name)). */
    public double scale(String name) {
        return Math.pow(decay, depth + 1 - layerId(name));
    }
}
