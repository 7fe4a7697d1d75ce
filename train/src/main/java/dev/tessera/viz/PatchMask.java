package dev.tessera.viz;

/**
 * The two derived views of MAE's reconstruction figure, for one CHW image cut into p×p patches numbered
 * row-major (patch l covers rows (l / (W/p))·p … and columns (l mod (W/p))·p …). The mask follows MAE:
 * {@code mask[l] = 0} keep (visible to the encoder), {@code 1} remove.
 */
public final class PatchMask {
    private PatchMask() {}

    /** Grey value shown for a removed patch. */
    public static final float GREY = 0.5f;

    /** The encoder's input: removed patches painted grey. Returns a new array. */
    public static float[] masked(float[] image, int c, int h, int w, int patch, float[] mask) {
        float[] out = image.clone();
        forEachPatch(image.length, c, h, w, patch, mask, (l, removed, offsets) -> {
            if (removed) for (int i : offsets) out[i] = GREY;
        });
        return out;
    }

    /** The reconstruction with the visible patches replaced by the original's: what MAE's paper shows. */
    public static float[] pasteVisible(float[] original, float[] reconstruction, int c, int h, int w, int patch, float[] mask) {
        if (original.length != reconstruction.length) {
            throw new IllegalArgumentException("original has " + original.length + " floats, reconstruction " + reconstruction.length);
        }
        float[] out = reconstruction.clone();
        forEachPatch(original.length, c, h, w, patch, mask, (l, removed, offsets) -> {
            if (!removed) for (int i : offsets) out[i] = original[i];
        });
        return out;
    }

    private interface PatchVisitor {
        void visit(int l, boolean removed, int[] offsets);
    }

    private static void forEachPatch(int length, int c, int h, int w, int patch, float[] mask, PatchVisitor v) {
        if (length != c * h * w) throw new IllegalArgumentException("image has " + length + " floats, not " + c + "x" + h + "x" + w);
        if (patch <= 0 || h % patch != 0 || w % patch != 0) {
            throw new IllegalArgumentException("patch " + patch + " does not tile a " + h + "x" + w + " image");
        }
        int gw = w / patch, count = (h / patch) * gw;
        if (mask.length != count) {
            throw new IllegalArgumentException("mask has " + mask.length + " entries but a " + h + "x" + w
                    + " image has " + count + " patches of " + patch + "x" + patch);
        }
        int[] offsets = new int[c * patch * patch];
        for (int l = 0; l < count; l++) {
            int y0 = (l / gw) * patch, x0 = (l % gw) * patch, k = 0;
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < patch; y++) {
                    for (int x = 0; x < patch; x++) offsets[k++] = (ch * h + y0 + y) * w + x0 + x;
                }
            }
            v.visit(l, mask[l] > 0.5f, offsets);
        }
    }
}
