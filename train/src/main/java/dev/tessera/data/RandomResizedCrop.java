package dev.tessera.data;

import java.util.random.RandomGenerator;

/**
 * torchvision's RandomResizedCrop (transforms.py, {@code get_params}), then an optional horizontal flip with
 * probability ½: up to 10 attempts draw an area fraction uniformly in [minScale, maxScale] and an aspect ratio
 * log-uniformly in [minRatio, maxRatio]; the first crop that fits is placed uniformly at random. If none fits,
 * the fallback is a centre crop of the whole image clamped to the ratio range. The crop is then resized to
 * size×size with {@link Resample} (Pillow's bicubic, which MAE's {@code interpolation=3} asks for).
 *
 * <p>Sizes are rounded with Python's {@code round} (half to even, {@link Math#rint}) so that the same random
 * draws give the same crop box as torchvision.
 */
public record RandomResizedCrop(int size, double minScale, double maxScale, double minRatio, double maxRatio,
                                boolean flip) implements ImageTransform {

    public RandomResizedCrop {
        if (size <= 0) throw new IllegalArgumentException("RandomResizedCrop size must be positive, got " + size);
        if (!(0 < minScale && minScale <= maxScale && maxScale <= 1)) {
            throw new IllegalArgumentException("RandomResizedCrop scale must satisfy 0 < min <= max <= 1, got ["
                    + minScale + ", " + maxScale + "]");
        }
        if (!(0 < minRatio && minRatio <= maxRatio)) {
            throw new IllegalArgumentException("RandomResizedCrop ratio must satisfy 0 < min <= max, got ["
                    + minRatio + ", " + maxRatio + "]");
        }
    }

    /** A crop box: top-left corner (top, left) and its height and width, in source pixels. */
    public record Box(int top, int left, int height, int width) {}

    /** Draws a crop box for an h×w image. */
    public Box sample(int h, int w, RandomGenerator rng) {
        double area = (double) h * w;
        double logMin = Math.log(minRatio), logMax = Math.log(maxRatio);
        for (int attempt = 0; attempt < 10; attempt++) {
            double targetArea = area * uniform(rng, minScale, maxScale);
            double aspect = Math.exp(uniform(rng, logMin, logMax));
            int cw = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int ch = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (0 < cw && cw <= w && 0 < ch && ch <= h) {
                int top = rng.nextInt(h - ch + 1), left = rng.nextInt(w - cw + 1);
                return new Box(top, left, ch, cw);
            }
        }
        double inRatio = (double) w / h;
        int cw, ch;
        if (inRatio < minRatio) {
            cw = w;
            ch = (int) Math.rint(cw / minRatio);
        } else if (inRatio > maxRatio) {
            ch = h;
            cw = (int) Math.rint(ch * maxRatio);
        } else {
            cw = w;
            ch = h;
        }
        return new Box((h - ch) / 2, (w - cw) / 2, ch, cw);
    }

    // torch.empty(1).uniform_(a, b): a + (b − a)·u with u in [0, 1).
    private static double uniform(RandomGenerator rng, double a, double b) {
        return a + (b - a) * rng.nextDouble();
    }

    @Override
    public PlanarImage apply(PlanarImage src, RandomGenerator rng) {
        Box b = sample(src.height(), src.width(), rng);
        PlanarImage out = Resample.resize(src.crop(b.top(), b.left(), b.height(), b.width()), size, size);
        // Flip is drawn after the crop, as torchvision's Compose([RandomResizedCrop, RandomHorizontalFlip]) does.
        if (flip && rng.nextDouble() < 0.5) out = out.flipHorizontal();
        return out;
    }
}
