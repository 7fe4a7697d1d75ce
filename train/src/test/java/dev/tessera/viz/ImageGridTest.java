package dev.tessera.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {
    @TempDir
    Path dir;

    private static float[] filled(int c, int h, int w, float... perChannel) {
        float[] out = new float[c * h * w];
        for (int ch = 0; ch < c; ch++) java.util.Arrays.fill(out, ch * h * w, (ch + 1) * h * w, perChannel[ch]);
        return out;
    }

    @Test
    void fashionSizedImagesAreEnlargedFourTimesWithPixelsAsSquares() throws IOException {
        float[] img = new float[28 * 28];
        img[0] = 1f; // top-left pixel white, the rest black
        ImageGrid grid = new ImageGrid(1, 28, 28).addRow(img, filled(1, 28, 28, 0.5f)).addRow(img, img);
        assertEquals(4, grid.scale());
        Path png = dir.resolve("sub/grid.png");
        grid.write(png);

        BufferedImage back = ImageIO.read(png.toFile());
        int pad = ImageGrid.PAD;
        assertEquals(pad + 2 * (112 + pad), back.getWidth());
        assertEquals(pad + 2 * (112 + pad), back.getHeight());
        // Pixel (0,0) of cell (0,0) covers a 4x4 block of white, then black.
        for (int d = 0; d < 4; d++) assertEquals(0xffffff, back.getRGB(pad + d, pad + d) & 0xffffff);
        assertEquals(0x000000, back.getRGB(pad + 4, pad) & 0xffffff);
        // Cell (0,1) is 0.5 grey = 128; the padding between cells is white.
        int[] o = grid.cellOrigin(0, 1);
        assertEquals(0x808080, back.getRGB(o[0] + 50, o[1] + 50) & 0xffffff);
        assertEquals(0xffffff, back.getRGB(o[0] - 1, o[1] + 50) & 0xffffff);
        try (Stream<Path> s = Files.list(png.getParent())) {
            assertEquals(1, s.count(), "only the PNG remains: the temporary file was renamed");
        }
    }

    @Test
    void colourImagesTitlesAndRaggedRows() throws IOException {
        ImageGrid grid = new ImageGrid(3, 10, 20).scale(2).titles("a", "b", "c")
                .addRow(filled(3, 10, 20, 1f, 0f, 0f), filled(3, 10, 20, 0f, 0f, 1f))
                .addRow(filled(3, 10, 20, 0f, 1f, 0f));
        BufferedImage img = grid.render();
        assertEquals(ImageGrid.PAD + 3 * (40 + ImageGrid.PAD), img.getWidth()); // 3 columns from the titles
        int[] red = grid.cellOrigin(0, 0), blue = grid.cellOrigin(0, 1), green = grid.cellOrigin(1, 0);
        assertEquals(img.getHeight(), green[1] + 20 + ImageGrid.PAD);
        assertEquals(0xff0000, img.getRGB(red[0] + 3, red[1] + 3) & 0xffffff);
        assertEquals(0x0000ff, img.getRGB(blue[0] + 39, blue[1] + 19) & 0xffffff);
        assertEquals(0x00ff00, img.getRGB(green[0], green[1]) & 0xffffff);
        assertEquals(0xffffff, img.getRGB(grid.cellOrigin(1, 2)[0] + 5, grid.cellOrigin(1, 2)[1] + 5) & 0xffffff);
    }

    @Test
    void wrongSizedImageIsRejected() {
        ImageGrid grid = new ImageGrid(1, 4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> grid.addRow(new float[15]));
        assertEquals(true, e.getMessage().contains("1x4x4"), e.getMessage());
    }

    @Test
    void maskedAndPastedViews() {
        // 1x4x4 image, 2x2 patches numbered 0 1 / 2 3; patches 1 and 2 removed.
        float[] orig = new float[16], recon = new float[16];
        for (int i = 0; i < 16; i++) {
            orig[i] = i / 16f;
            recon[i] = 1f;
        }
        float[] mask = {0, 1, 1, 0};
        float[] masked = PatchMask.masked(orig, 1, 4, 4, 2, mask);
        float[] pasted = PatchMask.pasteVisible(orig, recon, 1, 4, 4, 2, mask);
        // Pixel (0, 0) is in patch 0 (kept), (0, 3) in patch 1 (removed), (3, 0) in patch 2, (3, 3) in patch 3.
        assertEquals(0f, masked[0]);
        assertEquals(PatchMask.GREY, masked[3]);
        assertEquals(PatchMask.GREY, masked[12]);
        assertEquals(15 / 16f, masked[15]);
        assertEquals(0f, pasted[0]);
        assertEquals(1f, pasted[3]);
        assertEquals(1f, pasted[12]);
        assertEquals(15 / 16f, pasted[15]);
    }
}
