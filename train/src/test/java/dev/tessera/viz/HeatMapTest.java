package dev.tessera.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeatMapTest {
    @TempDir
    Path dir;

    @Test
    void jetEndsAndMiddle() {
        assertArrayEquals(new float[] {0, 0, 0.5f}, HeatMap.jet(0f), 1e-6f);  // dark blue
        assertArrayEquals(new float[] {0.5f, 1, 0.5f}, HeatMap.jet(0.5f), 1e-6f);
        assertArrayEquals(new float[] {0.5f, 0, 0}, HeatMap.jet(1f), 1e-6f);  // dark red
    }

    @Test
    void bilinearUpsamplingWithHalfPixelCentres() {
        // PyTorch: F.interpolate(torch.tensor([[[[0., 1.]]]]), size=(1, 4), mode="bilinear", align_corners=False)
        // gives [0, 0.25, 0.75, 1].
        assertArrayEquals(new float[] {0, 0.25f, 0.75f, 1}, HeatMap.upsample(new float[] {0, 1, 0, 1}, 2, 1, 4), 1e-6f);
    }

    @Test
    void overlayWithFullAlphaShowsTheMapColours() {
        // A 2x2 map hot only at its top-left. With alpha 1 the image disappears: the top-left pixel is jet(1) and
        // the bottom-right jet(0).
        float[] image = new float[4 * 4];
        java.util.Arrays.fill(image, 0.5f);
        float[] map = {3f, 1f, 1f, 1f}; // min-max scaling makes it 1, 0, 0, 0
        float[] out = HeatMap.overlay(image, 1, 4, 4, map, 2, 1f);
        assertArrayEquals(new float[] {0.5f, 0, 0}, new float[] {out[0], out[16], out[32]}, 1e-6f);
        assertArrayEquals(new float[] {0, 0, 0.5f}, new float[] {out[15], out[31], out[47]}, 1e-6f);
        // alpha 0 gives back the image (grey replicated to RGB).
        float[] none = HeatMap.overlay(image, 1, 4, 4, map, 2, 0f);
        for (float v : none) assertEquals(0.5f, v, 1e-6f);
    }

    @Test
    void gridOfEightImagesWithOverlaysBelow() throws IOException {
        List<float[]> images = new ArrayList<>(), maps = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            float[] img = new float[16 * 16];
            java.util.Arrays.fill(img, i / 8f);
            images.add(img);
            float[] m = new float[4 * 4];
            m[0] = 1; // top-left patch hot
            maps.add(m);
        }
        Path png = dir.resolve("attn.png");
        HeatMap.write(png, images, 1, 16, 16, maps, 4, 1f);
        BufferedImage img = ImageIO.read(png.toFile());
        int s = ImageGrid.autoScale(16, 16), cell = 16 * s, pad = ImageGrid.PAD;
        assertEquals(pad + 8 * (cell + pad), img.getWidth());
        assertEquals(pad + 2 * (cell + pad), img.getHeight());
        // First row: the plain images (sample 4 is grey 0.5 -> 128). Second row: the maps at alpha 1, dark red
        // (128, 0, 0) at the hot top-left corner, dark blue (0, 0, 128) at the cold bottom-right.
        assertEquals(0x808080, img.getRGB(pad + 4 * (cell + pad) + 5, pad + 5) & 0xffffff);
        int y2 = pad + cell + pad;
        assertEquals(0x800000, img.getRGB(pad, y2) & 0xffffff);
        assertEquals(0x000080, img.getRGB(pad + cell - 1, y2 + cell - 1) & 0xffffff);
        assertEquals(Collections.nCopies(1, true), List.of(img.getWidth() > img.getHeight()));
    }
}
