package dev.tessera.viz;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A grid of same-sized images, one row per sample and one column per view, e.g. MAE's figure: original, masked
 * input, reconstruction, reconstruction with the visible patches pasted back (see {@link PatchMask}). Images are
 * CHW floats in [0, 1] with 1 (grey) or 3 (RGB) channels; use {@code Normalize.denormalize} to get there from
 * model inputs and outputs. Small images are enlarged by pixel repetition (28×28 Fashion-MNIST ×4) so that each
 * pixel stays visible as a square rather than being smoothed.
 *
 * <pre>{@code
 * new ImageGrid(1, 28, 28).titles("original", "masked", "reconstruction", "+ visible")
 *         .addRow(orig, masked, recon, pasted).write(Path.of("out/recon.png"));
 * }</pre>
 */
public final class ImageGrid {
    /** Pixels of white between cells and around the grid. */
    public static final int PAD = 2;

    private final int channels, height, width;
    private int scale;
    private String[] titles = new String[0];
    private final List<float[][]> rows = new ArrayList<>();

    public ImageGrid(int channels, int height, int width) {
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("ImageGrid draws 1 or 3 channels, got " + channels);
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("image size must be positive, got " + height + "x" + width);
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.scale = autoScale(height, width);
    }

    /** Enlargement that makes the longer side at least 100 pixels: 28 → ×4, 64 → ×2, 224 → ×1. */
    public static int autoScale(int height, int width) {
        return Math.max(1, (int) Math.ceil(100.0 / Math.max(height, width)));
    }

    public ImageGrid scale(int s) {
        if (s <= 0) throw new IllegalArgumentException("scale must be positive, got " + s);
        this.scale = s;
        return this;
    }

    public int scale() {
        return scale;
    }

    /** Column titles drawn above the first row. */
    public ImageGrid titles(String... columnTitles) {
        this.titles = columnTitles.clone();
        return this;
    }

    /** Adds a row; each image is CHW in [0, 1] of this grid's size. */
    public ImageGrid addRow(float[]... images) {
        int n = channels * height * width;
        for (int i = 0; i < images.length; i++) {
            if (images[i].length != n) {
                throw new IllegalArgumentException("row " + rows.size() + " image " + i + " has " + images[i].length
                        + " floats but this grid's images are " + channels + "x" + height + "x" + width + " = " + n);
            }
        }
        rows.add(images.clone());
        return this;
    }

    private int columns() {
        int cols = titles.length;
        for (float[][] r : rows) cols = Math.max(cols, r.length);
        return Math.max(cols, 1);
    }

    /** Top-left pixel of cell (row, column) in the rendered picture. */
    public int[] cellOrigin(int row, int column) {
        return origin(row, column, titleBand());
    }

    private int[] origin(int row, int column, int titleBand) {
        return new int[] {PAD + column * (width * scale + PAD), titleBand + PAD + row * (height * scale + PAD)};
    }

    /** Height of the strip above the first row that holds the titles (0 without titles). */
    private int titleBand() {
        return titles.length == 0 ? 0 : BitmapFont.height(1) + PAD;
    }

    public BufferedImage render() {
        int cols = columns(), cellW = width * scale, cellH = height * scale;
        int th = titleBand();
        int imgW = PAD + cols * (cellW + PAD), imgH = th + PAD + rows.size() * (cellH + PAD);
        BufferedImage out = new BufferedImage(imgW, imgH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, out.getWidth(), out.getHeight());
            for (int c = 0; c < titles.length; c++) {
                int x = PAD + c * (cellW + PAD) + (cellW - BitmapFont.width(titles[c], 1)) / 2;
                BitmapFont.draw(out, titles[c], Math.max(x, PAD + c * (cellW + PAD)), PAD, 0x000000, 1);
            }
        } finally {
            g.dispose();
        }
        for (int r = 0; r < rows.size(); r++) {
            float[][] row = rows.get(r);
            for (int c = 0; c < row.length; c++) {
                int[] o = origin(r, c, th);
                paint(out, row[c], o[0], o[1]);
            }
        }
        return out;
    }

    private void paint(BufferedImage out, float[] img, int x0, int y0) {
        int hw = height * width;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = y * width + x, rgb;
                if (channels == 1) {
                    int v = Png.byteOf(img[i]);
                    rgb = v << 16 | v << 8 | v;
                } else {
                    rgb = Png.byteOf(img[i]) << 16 | Png.byteOf(img[hw + i]) << 8 | Png.byteOf(img[2 * hw + i]);
                }
                for (int dy = 0; dy < scale; dy++) {
                    for (int dx = 0; dx < scale; dx++) out.setRGB(x0 + x * scale + dx, y0 + y * scale + dy, rgb);
                }
            }
        }
    }

    /** Renders and writes the grid as a PNG (atomically: temporary file, then rename). */
    public void write(Path png) {
        Png.write(render(), png);
    }
}
