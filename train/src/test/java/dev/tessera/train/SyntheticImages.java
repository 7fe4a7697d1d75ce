package dev.tessera.train;

import dev.tessera.data.Dataset;
import dev.tessera.engine.random.Rng;
import java.util.random.RandomGenerator;

/**
 * {@code n} fixed random images of C×H×W drawn once from {@code seed} (standard normal, like normalised
 * pixels), label i mod 10. Loading ignores the generator: no augmentation.
 */
final class SyntheticImages implements Dataset {
    private final int n, c, h, w;
    private final float[] pixels;

    SyntheticImages(int n, int c, int h, int w, long seed) {
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
        this.pixels = new Rng(seed).normal(n * c * h * w, 0f, 1f);
    }

    /** 64 images of 1×28×28, as the brief suggests. */
    static SyntheticImages fashionSized(long seed) {
        return new SyntheticImages(64, 1, 28, 28, seed);
    }

    @Override public int size() { return n; }
    @Override public int channels() { return c; }
    @Override public int height() { return h; }
    @Override public int width() { return w; }
    @Override public int numClasses() { return 10; }
    @Override public int label(int index) { return index % 10; }

    @Override
    public void load(int index, float[] dst, int dstOffset, RandomGenerator rng) {
        int size = c * h * w;
        System.arraycopy(pixels, index * size, dst, dstOffset, size);
    }
}
