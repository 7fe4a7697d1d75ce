package dev.tessera.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.random.Rng;
import org.junit.jupiter.api.Test;

class MixupTest {
    /** n images of c×h×w where every pixel of image i is i + 1: the source of each mixed pixel is readable. */
    private static float[] constantImages(int n, int c, int h, int w) {
        float[] x = new float[n * c * h * w];
        for (int i = 0; i < n; i++) java.util.Arrays.fill(x, i * c * h * w, (i + 1) * c * h * w, i + 1);
        return x;
    }

    @Test
    void mixupBlendsEachImageWithItsMirrorByOneLambda() {
        int n = 4, c = 2, h = 3, w = 3;
        float[] x = constantImages(n, c, h, w);
        int[] labels = {0, 1, 2, 3};
        Mixup.Mixed m = Mixup.apply(x, labels, n, c, h, w, BatchAugmentation.none().withMixup(0.8).withEraseProb(0)
                .withCutmix(0), new Rng(1));
        // mixProb of none() is 0: nothing happens
        assertSame(labels, m.labels());
        assertEquals(1.0, m.lambda());
        BatchAugmentation mixupOnly = new BatchAugmentation(0.8, 0, 1, 0.5, 0);
        m = Mixup.apply(x, labels, n, c, h, w, mixupOnly, new Rng(1));
        assertFalse(m.cutmix());
        assertArrayEquals(new int[] {3, 2, 1, 0}, m.mirrorLabels());
        double l = m.lambda();
        assertTrue(l > 0 && l < 1, "λ " + l);
        for (int i = 0; i < n; i++) {
            float expected = (float) (l * (i + 1) + (1 - l) * (n - i));
            for (int k = 0; k < c * h * w; k++) assertEquals(expected, x[i * c * h * w + k], 1e-5f, "image " + i);
        }
    }

    @Test
    void cutmixPastesOneBoxFromTheMirrorAndLambdaIsTheShareKept() {
        int n = 2, c = 1, h = 16, w = 16;
        BatchAugmentation cutmixOnly = new BatchAugmentation(0, 1.0, 1, 0.5, 0);
        for (long seed = 0; seed < 20; seed++) {
            float[] x = constantImages(n, c, h, w);
            Mixup.Mixed m = Mixup.apply(x, new int[] {0, 1}, n, c, h, w, cutmixOnly, new Rng(seed));
            assertTrue(m.cutmix());
            int pasted = 0;
            for (int k = 0; k < h * w; k++) if (x[k] == 2f) pasted++;             // image 0's pixels that came from image 1
            assertEquals(1 - pasted / (double) (h * w), m.lambda(), 1e-12, "seed " + seed);
            for (int k = 0; k < h * w; k++) assertEquals(x[k] == 2f ? 1f : 2f, x[h * w + k], "the mirror gets the same box");
        }
    }

    @Test
    void withBothOnEachBatchPicksOneAndBetaDrawsHaveTheRightMean() {
        BatchAugmentation both = BatchAugmentation.mae().withEraseProb(0);
        int cut = 0, draws = 4000;
        Rng rng = new Rng(3);
        for (int i = 0; i < draws; i++) if (Mixup.apply(new float[2 * 4], new int[] {0, 1}, 2, 1, 2, 2, both, rng).cutmix()) cut++;
        assertEquals(0.5, cut / (double) draws, 0.03, "switch probability 0.5");
        // Beta(α, α) has mean 1/2 and variance 1/(4(2α+1)): α = 0.8 → 0.0962
        double sum = 0, sq = 0;
        for (int i = 0; i < 20_000; i++) {
            double b = Mixup.beta(0.8, rng);
            assertTrue(b >= 0 && b <= 1);
            sum += b;
            sq += b * b;
        }
        double mean = sum / 20_000, var = sq / 20_000 - mean * mean;
        assertEquals(0.5, mean, 0.01);
        assertEquals(1 / (4 * 2.6), var, 0.005);
    }

    @Test
    void randomErasingReplacesOneBoxPerChosenImage() {
        int n = 200, c = 3, h = 20, w = 20;
        float[] x = new float[n * c * h * w];
        java.util.Arrays.fill(x, 7f);
        int erased = RandomErasing.apply(x, n, c, h, w, 0.25, new Rng(5));
        assertEquals(0.25, erased / (double) n, 0.08);
        int changedImages = 0;
        for (int i = 0; i < n; i++) {
            int changed = 0;
            for (int k = 0; k < c * h * w; k++) if (x[i * c * h * w + k] != 7f) changed++;
            if (changed == 0) continue;
            changedImages++;
            double share = changed / (double) (c * h * w);
            // one box of 2%–33% of the area (rounding of its sides can move it a little), every channel
            assertTrue(share >= 0.01 && share <= 0.42, "image " + i + " erased share " + share);
            assertEquals(0, changed % c, "the box covers every channel");
        }
        assertEquals(erased, changedImages);
        float[] y = new float[n * c * h * w];
        java.util.Arrays.fill(y, 7f);
        assertEquals(0, RandomErasing.apply(y, n, c, h, w, 0, new Rng(5)));
        for (float v : y) assertEquals(7f, v);
    }
}
