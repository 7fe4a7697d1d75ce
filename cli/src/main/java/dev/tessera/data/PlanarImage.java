package dev.tessera.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DirectColorModel;
import java.awt.image.Raster;

/**
 * A decoded image as planar floats in [0, 1]: {@code data[c*H*W + y*W + x]}, the CHW layout the models take.
 * Transforms work on this form so that grey (Fashion-MNIST) and colour (ImageFolder) images share one path.
 */
public record PlanarImage(float[] data, int channels, int height, int width) {

    public PlanarImage {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image dims must be positive, got " + channels + "x" + height + "x" + width);
        }
        if (data.length != channels * height * width) {
            throw new IllegalArgumentException("image data has " + data.length + " floats but " + channels + "x"
                    + height + "x" + width + " needs " + channels * height * width);
        }
    }

    /**
     * Converts a decoded image to {@code channels} (1 or 3) planes in [0, 1]. Alpha is dropped, not composited
     * (what PIL's {@code convert("RGB")} does, so torchvision pipelines see the same pixels). Grey sources are
     * read from the raster directly: {@link BufferedImage#getRGB} would pass them through Java2D's linear-grey to
     * sRGB conversion and brighten them. Colour to grey uses PIL's ITU-R 601 luma weights.
     */
    public static PlanarImage of(BufferedImage img, int channels) {
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        int h = img.getHeight(), w = img.getWidth(), hw = h * w;
        float[] out = new float[channels * hw];
        if (isGrey(img)) {
            Raster r = img.getRaster();
            float max = (1 << img.getColorModel().getComponentSize(0)) - 1;
            float[] grey = r.getSamples(0, 0, w, h, 0, (float[]) null);
            for (int i = 0; i < hw; i++) out[i] = grey[i] / max;
            for (int c = 1; c < channels; c++) System.arraycopy(out, 0, out, c * hw, hw);
            return new PlanarImage(out, channels, h, w);
        }
        // rgb holds the three planes; for one channel they are then reduced to luma.
        float[] rgb = channels == 3 ? out : new float[3 * hw];
        if (isPlainSrgb(img)) {
            // 8-bit sRGB samples (JPEG's 3-byte BGR, int RGB): read the raster directly, several times faster
            // than getRGB, which converts every pixel through the colour model.
            Raster raster = img.getRaster();
            int nb = raster.getNumBands();
            int[] px = raster.getPixels(0, 0, w, h, (int[]) null);
            for (int i = 0; i < hw; i++) {
                rgb[i] = px[i * nb] / 255f;
                rgb[hw + i] = px[i * nb + 1] / 255f;
                rgb[2 * hw + i] = px[i * nb + 2] / 255f;
            }
        } else {
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < hw; i++) {
                rgb[i] = ((argb[i] >> 16) & 0xff) / 255f;
                rgb[hw + i] = ((argb[i] >> 8) & 0xff) / 255f;
                rgb[2 * hw + i] = (argb[i] & 0xff) / 255f;
            }
        }
        if (channels == 1) {
            for (int i = 0; i < hw; i++) out[i] = 0.299f * rgb[i] + 0.587f * rgb[hw + i] + 0.114f * rgb[2 * hw + i];
        }
        return new PlanarImage(out, channels, h, w);
    }

    private static boolean isPlainSrgb(BufferedImage img) {
        ColorModel cm = img.getColorModel();
        if (!(cm instanceof ComponentColorModel || cm instanceof DirectColorModel)) return false;
        if (!cm.getColorSpace().isCS_sRGB() || cm.isAlphaPremultiplied() || cm.getNumColorComponents() != 3) return false;
        for (int i = 0; i < 3; i++) if (cm.getComponentSize(i) != 8) return false;
        return true;
    }

    private static boolean isGrey(BufferedImage img) {
        return img.getColorModel() instanceof ComponentColorModel cm
                && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && cm.getComponentSize(0) <= 16;
    }

    /** The same image mirrored left to right (a new array). */
    public PlanarImage flipHorizontal() {
        float[] out = new float[data.length];
        for (int row = 0; row < channels * height; row++) {
            int base = row * width;
            for (int x = 0; x < width; x++) out[base + x] = data[base + width - 1 - x];
        }
        return new PlanarImage(out, channels, height, width);
    }

    /** The window of {@code h×w} pixels whose top-left corner is (top, left); it must lie inside the image. */
    public PlanarImage crop(int top, int left, int h, int w) {
        if (top < 0 || left < 0 || h <= 0 || w <= 0 || top + h > height || left + w > width) {
            throw new IllegalArgumentException("crop " + h + "x" + w + " at (" + top + ", " + left + ") is outside a "
                    + height + "x" + width + " image");
        }
        float[] out = new float[channels * h * w];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < h; y++) {
                System.arraycopy(data, (c * height + top + y) * width + left, out, (c * h + y) * w, w);
            }
        }
        return new PlanarImage(out, channels, h, w);
    }
}
