package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.random.Rng;
import org.junit.jupiter.api.Test;

class RandAugmentTest {
    /** A 3×8×8 image whose pixel (y, x) of channel c is a distinct 8-bit level. */
    private static PlanarImage levels() {
        float[] d = new float[3 * 64];
        for (int i = 0; i < d.length; i++) d[i] = ((i * 37) % 256) / 255f;
        return new PlanarImage(d, 3, 8, 8);
    }

    private static int lvl(float x) {
        return Math.round(x * 255);
    }

    @Test
    void pointOperationsFollowPilOnEightBitLevels() {
        PlanarImage img = levels();
        PlanarImage inv = RandAugment.apply(RandAugment.Op.INVERT, img, 0.9, new Rng(0));
        for (int i = 0; i < img.data().length; i++) assertEquals(255 - lvl(img.data()[i]), lvl(inv.data()[i]));
        PlanarImage post = RandAugment.posterize(img, 2);                          // keep the top two bits
        for (int i = 0; i < img.data().length; i++) assertEquals(lvl(img.data()[i]) & 0xc0, lvl(post.data()[i]));
        assertSame(img, RandAugment.posterize(img, 8));
        PlanarImage sol = RandAugment.solarize(img, 100);
        for (int i = 0; i < img.data().length; i++) {
            int v = lvl(img.data()[i]);
            assertEquals(v >= 100 ? 255 - v : v, lvl(sol.data()[i]));
        }
        // magnitude 9 → posterize keeps 4 − ⌊3.6⌋ = 1 bit; solarize threshold 256 − ⌊230.4⌋ = 26
        PlanarImage p9 = RandAugment.apply(RandAugment.Op.POSTERIZE, img, 0.9, new Rng(0));
        for (int i = 0; i < img.data().length; i++) assertEquals(lvl(img.data()[i]) & 0x80, lvl(p9.data()[i]));
    }

    @Test
    void autoContrastStretchesEachChannelToTheFullRange() {
        float[] d = new float[2 * 16];
        for (int i = 0; i < 16; i++) {
            d[i] = (100 + i) / 255f;            // channel 0: levels 100..115
            d[16 + i] = 0.5f;                   // channel 1: flat, left alone
        }
        PlanarImage out = RandAugment.autoContrast(new PlanarImage(d, 2, 4, 4));
        assertEquals(0, lvl(out.data()[0]));
        assertEquals(255, lvl(out.data()[15]));
        assertEquals(0.5f, out.data()[20]);
    }

    @Test
    void equalizeFlattensTheHistogram() {
        // 1024 pixels crowded into levels 10..13, 256 each: step = (1024 − 256) / 255 = 3 and
        // lut = 1/3, (1+256)/3, (1+512)/3, (1+768)/3 → 0, 85, 171, 255 (256 clipped)
        float[] d = new float[1024];
        for (int i = 0; i < 1024; i++) d[i] = (10 + i / 256) / 255f;
        PlanarImage out = RandAugment.equalize(new PlanarImage(d, 1, 32, 32));
        java.util.Set<Integer> seen = new java.util.TreeSet<>();
        for (float v : out.data()) seen.add(lvl(v));
        assertEquals(java.util.List.of(0, 85, 171, 255), java.util.List.copyOf(seen));
        // PIL leaves a channel alone when fewer than 255 pixels lie below its top level
        float[] small = new float[64];
        for (int i = 0; i < 64; i++) small[i] = (10 + i / 16) / 255f;
        assertArrayEquals(small, RandAugment.equalize(new PlanarImage(small, 1, 8, 8)).data());
    }

    @Test
    void blendsAreImageEnhance() {
        PlanarImage img = levels();
        PlanarImage bright = RandAugment.blend(new PlanarImage(new float[img.data().length], 3, 8, 8), img, 0.5);
        for (int i = 0; i < img.data().length; i++) assertEquals(img.data()[i] * 0.5f, bright.data()[i], 1e-6f);
        assertArrayEquals(img.data(), RandAugment.blend(RandAugment.grey(img), img, 1.0).data(), 1e-6f);
        PlanarImage grey = RandAugment.blend(RandAugment.grey(img), img, 0.0);
        for (int i = 0; i < 64; i++) {
            assertEquals(grey.data()[i], grey.data()[64 + i]);                   // colour factor 0: no colour left
            assertEquals(grey.data()[i], grey.data()[128 + i]);
        }
        PlanarImage smooth = RandAugment.smooth(img);
        assertEquals(img.data()[0], smooth.data()[0]);                             // the border is kept
        assertNotEquals(java.util.Arrays.toString(img.data()), java.util.Arrays.toString(smooth.data()), "the inside is smoothed");
    }

    @Test
    void geometryRotatesCounterClockwiseAndTranslatesWithTheFill() {
        float[] d = new float[9 * 9];
        d[4 * 9 + 8] = 1f;                                                         // a dot at the middle of the right edge
        PlanarImage img = new PlanarImage(d, 1, 9, 9);
        PlanarImage rot = RandAugment.rotate(img, 90);
        assertEquals(1f, rot.data()[0 * 9 + 4], 1e-5f, "a quarter turn left moves the right edge to the top");
        assertArrayEquals(img.data(), RandAugment.rotate(img, 0).data(), 1e-6f);
        PlanarImage moved = RandAugment.affine(img, 1, 0, 2, 0, 1, 0);            // input x = x + 2: content moves left
        assertEquals(1f, moved.data()[4 * 9 + 6], 1e-6f);
        assertEquals(RandAugment.FILL_GREY, moved.data()[4 * 9 + 8], 1e-6f);        // pulled in from outside: the fill
    }

    @Test
    void theTransformIsSeededAndKeepsTheSize() {
        PlanarImage img = levels();
        RandAugment ra = RandAugment.mae();
        PlanarImage a = ra.apply(img, new Rng(7)), b = ra.apply(img, new Rng(7));
        assertArrayEquals(a.data(), b.data());
        assertEquals(8, a.height());
        int changed = 0;
        for (long s = 0; s < 50; s++) if (!java.util.Arrays.equals(img.data(), ra.apply(img, new Rng(s)).data())) changed++;
        // two draws at probability ½ each: ¾ of images change (an applied op can be a no-op, e.g. autocontrast)
        assertTrue(changed > 25 && changed < 50, "changed " + changed + " of 50");
        assertSame(img, new RandAugment(2, 9, 0.5, 0).apply(img, new Rng(1)));
        assertThrows(IllegalArgumentException.class, () -> new RandAugment(2, 11, 0.5, 0.5));
        ImageTransform ft = ImageTransform.finetune(6);
        assertEquals(6, ft.size());
        assertEquals(6, ft.apply(img, new Rng(3)).height());
    }
}
