package dev.tessera.speed;

import dev.tessera.data.Dataset;
import dev.tessera.engine.random.Rng;
import java.util.random.RandomGenerator;

/**
 * Seeded Gaussian-noise images (mean 0, std 1: already "normalised"), one class: the input of
 * {@code tessera bench step}, which measures the model, not the data. {@code distinct} images are drawn once
 * and kept; sample i is image i mod distinct, so a load is one array copy and the dataset can be as long as
 * the benchmark (one epoch, one loader, prefetching ahead of the steps) without costing memory.
 */
final class NoiseImages implements Dataset {
    private final int size, distinct, channels, side;
    private final float[] pixels;

    NoiseImages(int size, int distinct, int channels, int side, long seed) {
        if (size < 1 || distinct < 1 || channels < 1 || side < 1) {
            throw new IllegalArgumentException("NoiseImages: need positive size, distinct, channels and side, got " + size + ", "
                    + distinct + ", " + channels + ", " + side);
        }
        this.size = size;
        this.distinct = distinct;
        this.channels = channels;
        this.side = side;
        int per = channels * side * side;
        this.pixels = new float[Math.multiplyExact(distinct, per)];
        Rng r = new Rng(seed);
        for (int i = 0; i < pixels.length; i++) pixels[i] = (float) r.nextGaussian();
    }

    @Override public int size() { return size; }
    @Override public int channels() { return channels; }
    @Override public int height() { return side; }
    @Override public int width() { return side; }
    @Override public int numClasses() { return 1; }
    @Override public int label(int index) { return 0; }

    @Override
    public void load(int index, float[] dst, int dstOffset, RandomGenerator rng) {
        int per = channels * side * side;
        System.arraycopy(pixels, (index % distinct) * per, dst, dstOffset, per);
    }
}
