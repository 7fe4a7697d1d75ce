package dev.tessera.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DirectColorModel;
import java.awt.image.Raster;

/**
 * A decoded {@link BufferedImage} (ImageIO's JPEG/PNG output) as a {@link PlanarImage}. Kept apart from
 * PlanarImage so that everything else in the data pipeline runs on a Java runtime without java.desktop
 * (the slim GPU distribution): only image folders need AWT.
 */
final class ImagePlanes {
    private ImagePlanes() {}

    /**
     * Converts a decoded image to {@code channels} (1 or 3) planes in [0, 1]. Alpha is dropped, not composited
     * (what PIL's {@code convert("RGB")} does, so torchvision pipelines see the same pixels). Grey sources are
     * read from the raster directly: {@link BufferedImage#getRGB} would pass them through Java2D's linear-grey to
     * sRGB conversion and brighten them. Colour to grey uses PIL's ITU-R 601 luma weights.
     */
    static PlanarImage of(BufferedImage img, int channels) {
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
}
