package dev.tessera.eval;

import dev.tessera.data.Dataset;
import dev.tessera.engine.random.Rng;
import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A view of some samples of a {@link Dataset}, in the order given: {@code --train-limit N} and the demo's
 * "10k training images for the probe" are random subsets drawn from the seed, so a run is reproducible and
 * every class is represented in proportion (no stratification: 10 balanced classes and thousands of samples
 * make that unnecessary).
 */
public final class Subset implements Dataset {
    private final Dataset base;
    private final int[] indices;

    public Subset(Dataset base, int[] indices) {
        this.base = Objects.requireNonNull(base, "base");
        this.indices = indices.clone();
        for (int i : this.indices) Objects.checkIndex(i, base.size());
    }

    /**
     * {@code n} distinct samples chosen uniformly at random with {@code seed}, sorted by index (file order reads
     * better in logs and keeps the data in memory order); the whole dataset when {@code n} ≤ 0 or ≥ its size.
     */
    public static Dataset random(Dataset base, int n, long seed) {
        if (n <= 0 || n >= base.size()) return base;
        int[] pick = Arrays.copyOf(new Rng(seed).permutation(base.size()), n);
        Arrays.sort(pick);
        return new Subset(base, pick);
    }

    /** Indices into the base dataset, in this subset's order. */
    public int[] indices() {
        return indices.clone();
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public int channels() {
        return base.channels();
    }

    @Override
    public int height() {
        return base.height();
    }

    @Override
    public int width() {
        return base.width();
    }

    @Override
    public int numClasses() {
        return base.numClasses();
    }

    @Override
    public int label(int index) {
        return base.label(indices[index]);
    }

    @Override
    public void load(int index, float[] dst, int dstOffset, RandomGenerator rng) {
        base.load(indices[index], dst, dstOffset, rng);
    }
}
