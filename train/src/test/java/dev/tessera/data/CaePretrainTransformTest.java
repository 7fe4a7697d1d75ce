package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** CAE's pre-training transform: flip, then RandomResizedCrop(scale 0.08–1) with bicubic resampling. */
class CaePretrainTransformTest {

    private static PlanarImage ramp(int h, int w) {
        float[] v = new float[h * w];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i * 0.37) + (i % w) * 0.05f;
        return new PlanarImage(v, 1, h, w);
    }

    @Test
    void scaleBoundsAreCaesNotMaes() {
        var t = (ImageTransform.Compose) ImageTransform.caePretrain(32);
        RandomResizedCrop rrc = assertInstanceOf(RandomResizedCrop.class, t.then());
        assertEquals(0.08, rrc.minScale());
        assertEquals(1.0, rrc.maxScale());
        assertEquals(0.75, rrc.minRatio());
        assertEquals(4 / 3.0, rrc.maxRatio(), 1e-12);
        // On a large image the crop areas spread over [0.08, 1]: some below MAE's 0.2 floor, none below 0.08.
        SplittableRandom rng = new SplittableRandom(5);
        double smallest = 1;
        for (int i = 0; i < 2000; i++) {
            RandomResizedCrop.Box b = rrc.sample(1000, 1000, rng);
            double area = b.height() * (double) b.width() / 1e6;
            assertTrue(area > 0.08 - 0.005 && area <= 1.0, "area " + area);
            smallest = Math.min(smallest, area);
        }
        assertTrue(smallest < 0.1, "the smallest of 2000 crops covers " + smallest + " of the image; CAE's floor is 0.08");
        assertEquals(0.2, ((RandomResizedCrop) ImageTransform.pretrain("mae", 32)).minScale());
        assertInstanceOf(ImageTransform.Compose.class, ImageTransform.pretrain("cae", 32));
    }

    @Test
    void flipsFirstThenCropsWithBicubicResampling() {
        // Replays the transform's random draws by hand: one uniform for the flip, then the crop box on the
        // (possibly) mirrored image, then Pillow-bicubic resampling of that box (Resample, checked against Pillow
        // in TransformTest). The flip decided before the crop is what tells this order from MAE's.
        PlanarImage src = ramp(20, 30);
        ImageTransform cae = ImageTransform.caePretrain(8);
        RandomResizedCrop rrc = new RandomResizedCrop(8, 0.08, 1.0, 0.75, 4 / 3.0, false);
        int flips = 0;
        for (long seed = 0; seed < 12; seed++) {
            PlanarImage got = cae.apply(src, new SplittableRandom(seed));
            SplittableRandom replay = new SplittableRandom(seed);
            boolean flip = replay.nextDouble() < 0.5;
            PlanarImage in = flip ? src.flipHorizontal() : src;
            RandomResizedCrop.Box b = rrc.sample(in.height(), in.width(), replay);
            PlanarImage expected = Resample.resize(in.crop(b.top(), b.left(), b.height(), b.width()), 8, 8);
            assertArrayEquals(expected.data(), got.data(), "seed " + seed);
            assertEquals(8, got.height());
            assertEquals(8, got.width());
            if (flip) flips++;
        }
        assertTrue(flips > 0 && flips < 12, "12 seeds should give both flipped and plain images, got " + flips + " flips");
    }

    @Test
    void flipMirrorsRows() {
        PlanarImage src = new PlanarImage(new float[] {1, 2, 3, 4, 5, 6}, 1, 2, 3);
        var flip = new ImageTransform.HorizontalFlip();
        boolean mirrored = false, same = false;
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 20; i++) {
            float[] out = flip.apply(src, rng).data();
            if (java.util.Arrays.equals(out, new float[] {3, 2, 1, 6, 5, 4})) mirrored = true;
            else if (java.util.Arrays.equals(out, src.data())) same = true;
            else throw new AssertionError(java.util.Arrays.toString(out));
        }
        assertTrue(mirrored && same);
        assertEquals(-1, flip.size());
    }
}
