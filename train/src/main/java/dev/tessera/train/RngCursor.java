package dev.tessera.train;

import dev.tessera.engine.random.Rng;
import java.util.Arrays;

/**
 * The position of a generator the trainer does not own: the model's, which its ViT blocks keep for
 * drop-path. A checkpoint must restore it, but the model holds the {@link Rng} object and Rng offers no
 * in-place restore. What the trainer can do is replay: a model rebuilt from the same seed leaves its
 * generator in the same state after init, and xoshiro256** draws 64 bits at a time, so calling
 * {@code nextLong()} exactly as many times as the run did puts the model's generator where it was.
 *
 * <p>So the cursor counts 64-bit draws since init. It never intercepts the model: at each checkpoint it
 * steps a private copy from the last known state until it matches the generator's current state, which
 * costs one {@code nextLong} per draw made since the previous checkpoint (a few million at most — some
 * milliseconds). A checkpoint stores the state and the count; resuming replays the count on the rebuilt
 * model's generator and checks that the state matches.
 */
final class RngCursor {
    /** Refuse to search longer than this: a generator this far off was not advanced by the model. */
    private static final long MAX_SEARCH = 1L << 36;

    private final Rng rng;
    private long[] knownState;
    private long knownDraws;

    /** Starts counting at {@code rng}'s current state (right after the model's init). */
    RngCursor(Rng rng) {
        this.rng = rng;
        this.knownState = rng.state();
    }

    /** 64-bit draws made since the start, bringing the known position up to the generator's current state. */
    long draws() {
        long[] target = rng.state();
        Rng copy = Rng.restore(knownState);
        long n = 0;
        while (!Arrays.equals(copy.state(), target)) {
            copy.nextLong();
            if (++n > MAX_SEARCH) {
                throw new IllegalStateException("the model's random generator moved more than 2^36 draws since the last "
                        + "checkpoint, or not by nextLong steps; its position cannot be recorded");
            }
        }
        knownState = target;
        knownDraws += n;
        return knownDraws;
    }

    long[] state() {
        return rng.state();
    }

    /**
     * Replays {@code draws} draws on the generator, which must be where this cursor started, and checks the
     * result against the checkpoint's {@code expectedState}.
     */
    void replay(long draws, long[] expectedState, String checkpoint) {
        if (draws < knownDraws || !Arrays.equals(rng.state(), knownState)) {
            throw new IllegalStateException("replay: the model's generator has moved since it was built");
        }
        for (long i = knownDraws; i < draws; i++) rng.nextLong();
        if (!Arrays.equals(rng.state(), expectedState)) {
            throw new IllegalArgumentException(checkpoint + ": the model's random generator does not reach the recorded state after "
                    + draws + " draws; the checkpoint was written with another seed or model code");
        }
        knownState = rng.state();
        knownDraws = draws;
    }
}
