package dev.tessera.train;

import dev.tessera.engine.random.Rng;
import java.util.random.RandomGenerator;

/**
 * One generator per image of a micro-batch, keyed by the image's dataset index: the masks the objectives draw
 * from them depend on (seed, micro-batch, image) only, not on where the image sits in the batch. So a
 * data-parallel run, whose ranks each read an interleaved part of the global batch
 * ({@link dev.tessera.data.DistributedSampler}), masks every image exactly as one process reading the whole
 * batch does, and the two train the same model.
 */
final class ImageStreams {
    private ImageStreams() {}

    /** Generator i belongs to image {@code indices[i]}; {@code rng} (the micro-batch's) is advanced by one draw. */
    static Rng[] of(RandomGenerator rng, int[] indices) {
        Rng base = new Rng(rng.nextLong());
        Rng[] out = new Rng[indices.length];
        for (int i = 0; i < indices.length; i++) out[i] = base.fork(indices[i]);
        return out;
    }
}
