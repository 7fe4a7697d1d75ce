package dev.tessera.viz;

/**
 * A picture of token ids: each cell of the g×g' token grid filled with a colour drawn from a hash of its id, so equal
 * ids share a colour and neighbouring ids do not resemble each other. Drawn next to the image
 * ({@link #addTo}), it shows what a tokenizer (DALL-E's or the k-means stand-in) makes of it — which regions share a
 * code, how finely texture is split.
 */
public final class TokenMap {
    private TokenMap() {}

    /** The colour of token {@code id}: three bytes of a SplitMix64 finaliser of the id, each in [0.15, 0.95]. */
    public static float[] colour(int id) {
        long z = id * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        float[] rgb = new float[3];
        for (int c = 0; c < 3; c++) rgb[c] = 0.15f + 0.8f * ((z >>> (8 * c)) & 0xFF) / 255f;
        return rgb;
    }

    /** Token ids {@code [gridH·gridW]} (raster order) drawn as a CHW RGB image of height×width pixels. */
    public static float[] render(int[] ids, int gridH, int gridW, int height, int width) {
        if (ids.length != gridH * gridW) {
            throw new IllegalArgumentException("TokenMap: " + ids.length + " ids for a " + gridH + "x" + gridW + " grid");
        }
        float[] out = new float[3 * height * width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                float[] rgb = colour(ids[(y * gridH / height) * gridW + x * gridW / width]);
                for (int c = 0; c < 3; c++) out[(c * height + y) * width + x] = rgb[c];
            }
        }
        return out;
    }

    /** A grey CHW image repeated to three channels (an RGB image is returned as is). */
    public static float[] rgb(float[] image, int channels, int height, int width) {
        if (channels == 3) return image;
        float[] out = new float[3 * height * width];
        for (int c = 0; c < 3; c++) System.arraycopy(image, 0, out, c * height * width, height * width);
        return out;
    }

    /** Adds a row to a 3-channel grid: the image (CHW in [0, 1]) and its token map. */
    public static void addTo(ImageGrid grid, float[] image, int channels, int height, int width, int[] ids, int gridH, int gridW) {
        grid.addRow(rgb(image, channels, height, width), render(ids, gridH, gridW, height, width));
    }
}
