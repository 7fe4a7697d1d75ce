package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class PlanarImageTest {

    /** A 2x1 image: pixel 0 is (R, G, B) = (128, 64, 32) with alpha 16 where the type has alpha, pixel 1 white. */
    private static BufferedImage twoPixels(int type) {
        BufferedImage img = new BufferedImage(2, 1, type);
        img.setRGB(0, 0, 0x10804020);
        img.setRGB(1, 0, 0xffffffff);
        return img;
    }

    @Test
    void everyColourLayoutGivesRgbPlanesWithAlphaDropped() {
        // 3-byte BGR is what ImageIO decodes JPEGs to, 4-byte ABGR what it decodes RGBA PNGs to; indexed takes
        // the getRGB path. All must give R, G, B planes in that order.
        for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_RGB,
            BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_INT_BGR}) {
            PlanarImage p = ImagePlanes.of(twoPixels(type), 3);
            assertArrayEquals(new float[] {128 / 255f, 1, 64 / 255f, 1, 32 / 255f, 1}, p.data(), 1e-6f, "type " + type);
        }
        // The default 256-colour palette has no exact (128, 64, 32); what matters is that the fallback path keeps
        // white white and the channel order.
        PlanarImage indexed = ImagePlanes.of(twoPixels(BufferedImage.TYPE_BYTE_INDEXED), 3);
        assertEquals(1f, indexed.data()[1]);
        assertEquals(1f, indexed.data()[5]);
    }

    @Test
    void colourToGreyUsesLumaWeights() {
        PlanarImage p = ImagePlanes.of(twoPixels(BufferedImage.TYPE_3BYTE_BGR), 1);
        assertEquals((0.299 * 128 + 0.587 * 64 + 0.114 * 32) / 255, p.data()[0], 1e-6);
        assertEquals(1f, p.data()[1], 1e-6f);
    }

    @Test
    void greyToColourReplicatesTheRawValue() {
        BufferedImage g = new BufferedImage(1, 1, BufferedImage.TYPE_USHORT_GRAY);
        g.getRaster().setSample(0, 0, 0, 65535 / 5); // 16-bit grey, 0.2
        assertArrayEquals(new float[] {0.2f, 0.2f, 0.2f}, ImagePlanes.of(g, 3).data(), 1e-6f);
    }

    @Test
    void cropAndFlip() {
        float[] v = new float[2 * 3 * 4];
        for (int i = 0; i < v.length; i++) v[i] = i;
        PlanarImage img = new PlanarImage(v, 2, 3, 4);
        // Rows 1..2, columns 1..3 of each plane.
        assertArrayEquals(new float[] {5, 6, 7, 9, 10, 11, 17, 18, 19, 21, 22, 23}, img.crop(1, 1, 2, 3).data());
        assertArrayEquals(new float[] {3, 2, 1, 0}, java.util.Arrays.copyOf(img.flipHorizontal().data(), 4));
    }
}
