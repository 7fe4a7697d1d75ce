package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class TransformTest {

    private static PlanarImage grey(int h, int w, float[] v) {
        return new PlanarImage(v, 1, h, w);
    }

    @Test
    void bicubicUpsampleMatchesPillow() {
        // Pillow 12.3: Image.new("F", (3, 2)) with these values, .resize((7, 5), Image.BICUBIC).
        float[] in = {0.1f, 0.9f, 0.4f, 0.7f, 0.0f, 1.0f};
        float[] pillow = {-0.0506440f, 0.1352963f, 0.6144724f, 0.9891509f, 0.7665499f, 0.4095346f, 0.2782021f,
            0.0718614f, 0.2087539f, 0.5586611f, 0.8410048f, 0.7107387f, 0.4829921f, 0.4007076f,
            0.3951923f, 0.4026316f, 0.4113573f, 0.4500000f, 0.5634349f, 0.6768698f, 0.7240385f,
            0.7185232f, 0.5965093f, 0.2640536f, 0.0589952f, 0.4161312f, 0.8707475f, 1.0473694f,
            0.8410287f, 0.6699668f, 0.2082423f, -0.0891509f, 0.3603199f, 0.9442050f, 1.1698748f};
        PlanarImage out = Resample.resize(grey(2, 3, in), 5, 7);
        assertArrayEquals(pillow, out.data(), 1e-5f);
    }

    @Test
    void bicubicDownsampleIsAntialiasedLikePillow() {
        // Pillow 12.3: a 9x7 "F" image with values ((i*37) % 23)/23, .resize((4, 3), Image.BICUBIC). Without the
        // widened support the result would be a few raw samples, far from these local averages.
        float[] in = new float[63];
        for (int i = 0; i < in.length; i++) in[i] = ((i * 37) % 23) / 23f;
        float[] pillow = {0.3770069f, 0.5442249f, 0.3815108f, 0.5214041f, 0.4680234f, 0.4906571f, 0.4685487f,
            0.4615466f, 0.4306702f, 0.4421131f, 0.5568169f, 0.4147422f};
        assertArrayEquals(pillow, Resample.resize(grey(7, 9, in), 3, 4).data(), 1e-5f);
    }

    @Test
    void cropsStayInsideTheImageAndRespectScaleAndRatio() {
        RandomResizedCrop rrc = new RandomResizedCrop(16, 0.2, 1.0, 3 / 4.0, 4 / 3.0, true);
        RandomGenerator rng = new SplittableRandom(7);
        for (int t = 0; t < 2000; t++) {
            int h = 5 + rng.nextInt(60), w = 5 + rng.nextInt(60);
            RandomResizedCrop.Box b = rrc.sample(h, w, rng);
            assertTrue(b.top() >= 0 && b.left() >= 0 && b.height() > 0 && b.width() > 0
                    && b.top() + b.height() <= h && b.left() + b.width() <= w, b + " in " + h + "x" + w);
        }
        // On a large image the first attempt nearly always fits, so area and aspect follow the requested ranges
        // (up to rounding of the sides to whole pixels).
        for (int t = 0; t < 500; t++) {
            RandomResizedCrop.Box b = rrc.sample(1000, 1000, rng);
            double area = b.height() * (double) b.width() / 1e6, ratio = b.width() / (double) b.height();
            assertTrue(area > 0.2 - 0.01 && area <= 1.0, "area " + area);
            assertTrue(ratio > 0.75 - 0.01 && ratio < 4 / 3.0 + 0.01, "ratio " + ratio);
        }
    }

    @Test
    void fallbackIsTheCentredCropClampedToTheRatioRange() {
        // A 2x100 strip: even the smallest allowed area (40 px) needs a side > 2 at ratio <= 4/3, so all 10
        // attempts fail. torchvision then takes h = 2, w = round(2 * 4/3) = 3, centred: left = (100 - 3) // 2 = 48.
        RandomResizedCrop rrc = new RandomResizedCrop(8, 0.2, 1.0, 3 / 4.0, 4 / 3.0, false);
        assertEquals(new RandomResizedCrop.Box(0, 48, 2, 3), rrc.sample(2, 100, new SplittableRandom(1)));
        // And a 100x2 strip: w = 2, h = round(2 / (3/4)) = round(2.667) = 3, top = 48.
        assertEquals(new RandomResizedCrop.Box(48, 0, 3, 2), rrc.sample(100, 2, new SplittableRandom(1)));
    }

    @Test
    void fullScaleSquareCropOfASquareImageIsTheImage() {
        // scale [1, 1] and ratio [1, 1] leave one choice: the whole image; resizing to its own size is exact,
        // so the output is the input or its mirror.
        RandomResizedCrop rrc = new RandomResizedCrop(4, 1, 1, 1, 1, true);
        float[] v = new float[16];
        for (int i = 0; i < 16; i++) v[i] = i;
        float[] mirrored = {3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12};
        boolean sawFlip = false, sawPlain = false;
        RandomGenerator rng = new SplittableRandom(3);
        for (int t = 0; t < 20; t++) {
            float[] out = rrc.apply(grey(4, 4, v), rng).data();
            if (java.util.Arrays.equals(out, v)) sawPlain = true;
            else if (java.util.Arrays.equals(out, mirrored)) sawFlip = true;
            else throw new AssertionError("neither identity nor mirror: " + java.util.Arrays.toString(out));
        }
        assertTrue(sawFlip && sawPlain, "flip with probability 1/2 should give both in 20 tries");
    }

    @Test
    void randomResizedCropOutputHasTheRequestedSize() {
        PlanarImage src = new PlanarImage(new float[3 * 30 * 45], 3, 30, 45);
        PlanarImage out = ImageTransform.pretrain(24).apply(src, new SplittableRandom(0));
        assertEquals(3, out.channels());
        assertEquals(24, out.height());
        assertEquals(24, out.width());
    }

    @Test
    void evalResizesTheShorterSideThenCropsTheCentre() {
        // 224 / 0.875 = 256, as in every ImageNet eval pipeline.
        assertEquals(256, ((ResizeCenterCrop) ImageTransform.eval(224)).resizeTo());
        // size 8, fraction 0.5: shorter side to 16; a 10x20 image becomes 16x32 and the crop starts at
        // round((16-8)/2) = 4, round((32-8)/2) = 12. A horizontal ramp stays a ramp, so the crop's columns tell
        // where it was taken: column x of the 16x32 image of a ramp over 20 px has value ~ (x+0.5)*20/32 - 0.5.
        float[] ramp = new float[10 * 20];
        for (int y = 0; y < 10; y++) for (int x = 0; x < 20; x++) ramp[y * 20 + x] = x;
        PlanarImage out = new ResizeCenterCrop(8, 0.5).apply(grey(10, 20, ramp), null);
        assertEquals(8, out.height());
        assertEquals(8, out.width());
        for (int x = 0; x < 8; x++) {
            double expected = (12 + x + 0.5) * 20 / 32.0 - 0.5; // bicubic reproduces linear ramps away from the edges
            assertEquals(expected, out.data()[3 * 8 + x], 1e-4, "column " + x);
        }
    }

    @Test
    void normaliseAndDenormaliseAreInverseAndClamp() {
        Normalize n = Normalize.imagenet();
        PlanarImage img = new PlanarImage(new float[] {0f, 0.485f, 1f, 0.5f, 0.2f, 0.9f}, 3, 1, 2);
        float[] z = new float[6];
        n.apply(img, z, 0);
        assertEquals(-0.485f / 0.229f, z[0], 1e-6);
        assertEquals(0f, z[1], 1e-6);
        assertEquals((0.2f - 0.406f) / 0.225f, z[4], 1e-6);
        assertArrayEquals(img.data(), n.denormalize(z, 0, 3, 1, 2), 1e-6f);
        float[] overshoot = {-10f, 10f, 0, 0, 0, 0};
        float[] clamped = n.denormalize(overshoot, 0, 3, 1, 2);
        assertEquals(0f, clamped[0]);
        assertEquals(1f, clamped[1]);
        assertNotEquals(0f, clamped[2]);
    }
}
