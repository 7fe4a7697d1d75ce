package dev.tessera.eval;

import java.util.random.RandomGenerator;

/**
 * Random erasing (Zhong et al. 2020) as timm's {@code RandomErasing(probability, mode='pixel', max_count=1)},
 * the form MAE's fine-tuning uses: with probability p, one box of each image is replaced by per-pixel, per-channel
 * standard-normal noise — the images are already normalised, so noise of the data's own scale. The box: up to 10
 * attempts at an area of 2%–33% of the image and an aspect ratio log-uniform in [0.3, 1/0.3]; the first that fits
 * is erased, none if none fits.
 */
final class RandomErasing {
    static final double MIN_AREA = 0.02, MAX_AREA = 1.0 / 3, MIN_ASPECT = 0.3;
    private static final int ATTEMPTS = 10;

    private RandomErasing() {}

    /** Erases in place in {@code images} [n, c, h, w]; returns how many images got a box. */
    static int apply(float[] images, int n, int c, int h, int w, double probability, RandomGenerator rng) {
        int erased = 0;
        for (int i = 0; i < n; i++) {
            if (rng.nextDouble() >= probability) continue;
            if (eraseOne(images, i * c * h * w, c, h, w, rng)) erased++;
        }
        return erased;
    }

    private static boolean eraseOne(float[] img, int offset, int c, int h, int w, RandomGenerator rng) {
        double area = (double) h * w, logLo = Math.log(MIN_ASPECT), logHi = Math.log(1 / MIN_ASPECT);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            double target = area * (MIN_AREA + rng.nextDouble() * (MAX_AREA - MIN_AREA));
            double aspect = Math.exp(logLo + rng.nextDouble() * (logHi - logLo));
            int bh = (int) Math.round(Math.sqrt(target * aspect)), bw = (int) Math.round(Math.sqrt(target / aspect));
            if (bh > 0 && bw > 0 && bw < w && bh < h) {
                int top = rng.nextInt(h - bh + 1), left = rng.nextInt(w - bw + 1);
                for (int ch = 0; ch < c; ch++) {
                    for (int y = top; y < top + bh; y++) {
                        int row = offset + (ch * h + y) * w;
                        for (int x = left; x < left + bw; x++) img[row + x] = (float) rng.nextGaussian();
                    }
                }
                return true;
            }
        }
        return false;
    }
}
