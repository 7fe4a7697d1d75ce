package dev.tessera.data;

import java.util.random.RandomGenerator;

/**
 * A finite, indexed set of labelled images of one size. {@link #load} writes sample {@code index} as a
 * normalised CHW float image; all randomness (augmentation) comes from the {@code rng} argument, never from
 * a generator of the dataset's own, so a sample is a pure function of (index, rng state). Implementations must
 * allow concurrent {@code load} calls: the {@link Loader}'s workers share one dataset.
 */
public interface Dataset {
    int size();

    int channels();

    int height();

    int width();

    int numClasses();

    /** Class id in [0, numClasses) of sample {@code index}. */
    int label(int index);

    /**
     * Writes sample {@code index}, normalised, to dst[dstOffset .. dstOffset + C·H·W) in CHW order.
     *
     * @throws DataException naming the file when the sample cannot be read or decoded
     */
    void load(int index, float[] dst, int dstOffset, RandomGenerator rng);
}
