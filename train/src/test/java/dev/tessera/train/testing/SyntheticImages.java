package dev.tessera.train.testing;

import dev.tessera.data.Dataset;
import dev.tessera.engine.random.Rng;
import java.util.random.RandomGenerator;

/**
 * A small labelled image set for tests that must not need Fashion-MNIST: 1×size×size images where class k is
 * a bright bar in a class-specific place (k even: a band of rows, k odd: of columns, at offset (k/2)·band) on
 * Gaussian noise, so that classes are easy for any model that sees pixels, and zero-mean noise keeps the
 * values in a normalised-image range.
 */
public final class SyntheticImages implements Dataset {
    private final float[] images;
    private final int[] labels;
    private final int size, classes;

    public SyntheticImages(int n, int size, int classes, float noise, long seed) {
        if (classes > size) throw new IllegalArgumentException("at most " + size + " classes for size " + size);
        this.size = size;
        this.classes = classes;
        this.images = new float[n * size * size];
        this.labels = new int[n];
        Rng rng = new Rng(seed);
        int band = Math.max(1, size / classes);
        for (int i = 0; i < n; i++) {
            int k = i % classes;
            labels[i] = k;
            int pos = (k / 2) * band % (size - band + 1);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int coord = k % 2 == 0 ? y : x;
                    float v = coord >= pos && coord < pos + band ? 1.5f : -0.5f;
                    images[(i * size + y) * size + x] = v + noise * (float) rng.nextGaussian();
                }
            }
        }
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public int height() {
        return size;
    }

    @Override
    public int width() {
        return size;
    }

    @Override
    public int numClasses() {
        return classes;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public void load(int index, float[] dst, int dstOffset, RandomGenerator rng) {
        System.arraycopy(images, index * size * size, dst, dstOffset, size * size);
    }
}
