package dev.tessera.viz;

import java.nio.file.Path;
import java.util.List;

/**
 * Attention maps over images: a g×g map (e.g. the [CLS] token's attention to the 14×14 patches of a 224 ViT-B/16)
 * is scaled to [0, 1] by its own minimum and maximum, upsampled bilinearly to the image size, coloured with a
 * jet-like map (blue low, red high) and blended over the image with weight {@code alpha}. {@link #write} lays out
 * up to 8 samples per row: the images on one row, their overlays on the row below.
 */
public final class HeatMap {
    private HeatMap() {}

    /** Samples per row in {@link #write}. */
    public static final int COLUMNS = 8;

    /**
     * Blends a g×g map over a CHW image in [0, 1] (1 or 3 channels); returns an RGB image [3, h, w].
     *
     * @param alpha weight of the colour map, 0 (image only) to 1 (map only)
     */
    public static float[] overlay(float[] image, int c, int h, int w, float[] map, int g, float alpha) {
        if (c != 1 && c != 3) throw new IllegalArgumentException("HeatMap draws over 1- or 3-channel images, got " + c);
        if (image.length != c * h * w) throw new IllegalArgumentException("image has " + image.length + " floats, not " + c + "x" + h + "x" + w);
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        float[] up = upsample(normalized(map, g), g, h, w);
        int hw = h * w;
        float[] out = new float[3 * hw];
        for (int i = 0; i < hw; i++) {
            float[] col = jet(up[i]);
            for (int ch = 0; ch < 3; ch++) {
                float base = image[(c == 1 ? 0 : ch) * hw + i];
                out[ch * hw + i] = (1 - alpha) * base + alpha * col[ch];
            }
        }
        return out;
    }

    /** The map rescaled to [0, 1] by min–max (all zeros when it is constant); non-finite entries count as the minimum. */
    static float[] normalized(float[] map, int g) {
        if (g <= 0 || map.length != g * g) throw new IllegalArgumentException("map has " + map.length + " entries, not " + g + "x" + g);
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (float v : map) {
            if (Float.isFinite(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        float[] out = new float[map.length];
        if (!(max > min)) return out;
        for (int i = 0; i < map.length; i++) out[i] = Float.isFinite(map[i]) ? (map[i] - min) / (max - min) : 0f;
        return out;
    }

    /**
     * Bilinear upsampling of a g×g map to h×w with pixel centres aligned (PyTorch's
     * {@code interpolate(mode="bilinear", align_corners=False)}): output (y, x) samples the map at
     * ((y + ½)·g/h − ½, (x + ½)·g/w − ½), clamped to the map's edge.
     */
    public static float[] upsample(float[] map, int g, int h, int w) {
        float[] out = new float[h * w];
        for (int y = 0; y < h; y++) {
            double sy = Math.max(0, (y + 0.5) * g / h - 0.5);
            int y0 = Math.min((int) sy, g - 1), y1 = Math.min(y0 + 1, g - 1);
            double fy = sy - y0;
            for (int x = 0; x < w; x++) {
                double sx = Math.max(0, (x + 0.5) * g / w - 0.5);
                int x0 = Math.min((int) sx, g - 1), x1 = Math.min(x0 + 1, g - 1);
                double fx = sx - x0;
                double top = map[y0 * g + x0] * (1 - fx) + map[y0 * g + x1] * fx;
                double bottom = map[y1 * g + x0] * (1 - fx) + map[y1 * g + x1] * fx;
                out[y * w + x] = (float) (top * (1 - fy) + bottom * fy);
            }
        }
        return out;
    }

    /** Jet-like colour of t in [0, 1]: dark blue (0, 0, ½) → blue → cyan → yellow → red → dark red (½, 0, 0). */
    public static float[] jet(float t) {
        return new float[] {ramp(4 * t - 3), ramp(4 * t - 2), ramp(4 * t - 1)};
    }

    private static float ramp(float d) {
        return Math.max(0f, Math.min(1f, 1.5f - Math.abs(d)));
    }

    /**
     * Writes images and their overlays as one PNG: rows of up to {@link #COLUMNS} images, each followed by a row
     * of the same images with their maps blended in.
     */
    public static void write(Path png, List<float[]> images, int c, int h, int w, List<float[]> maps, int g, float alpha) {
        if (images.size() != maps.size()) {
            throw new IllegalArgumentException(images.size() + " images but " + maps.size() + " attention maps");
        }
        if (images.isEmpty()) throw new IllegalArgumentException("no images to draw");
        ImageGrid grid = new ImageGrid(3, h, w);
        for (int start = 0; start < images.size(); start += COLUMNS) {
            int n = Math.min(COLUMNS, images.size() - start);
            float[][] plain = new float[n][], blended = new float[n][];
            for (int i = 0; i < n; i++) {
                float[] img = images.get(start + i);
                plain[i] = toRgb(img, c, h, w);
                blended[i] = overlay(img, c, h, w, maps.get(start + i), g, alpha);
            }
            grid.addRow(plain).addRow(blended);
        }
        grid.write(png);
    }

    private static float[] toRgb(float[] img, int c, int h, int w) {
        if (img.length != c * h * w) throw new IllegalArgumentException("image has " + img.length + " floats, not " + c + "x" + h + "x" + w);
        if (c == 3) return img;
        float[] out = new float[3 * h * w];
        for (int ch = 0; ch < 3; ch++) System.arraycopy(img, 0, out, ch * h * w, h * w);
        return out;
    }
}
