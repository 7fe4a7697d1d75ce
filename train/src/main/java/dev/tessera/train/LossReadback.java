package dev.tessera.train;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.tensor.Tensor;

/**
 * Device slots for the scalars one optimizer step reports — each micro-batch's loss and named terms, the gradient
 * norm — so the step reads them back with ONE download instead of one {@code item()} each. On a GPU every
 * {@code item()} drains the stream (the host waits for all queued work); the slots are filled by queued copies,
 * and the single read sits after backward and clipping, where the trainer must know the values before it may
 * update the parameters.
 *
 * <p>Built once per training session, outside any step scope (its buffer is persistent); slots are overwritten
 * every step.
 */
final class LossReadback {
    private final Backend backend;
    private final Buffer slots;

    LossReadback(Backend backend, int capacity) {
        this.backend = backend;
        this.slots = backend.allocate(capacity);
    }

    /** Queues a copy of the scalar {@code value} into slot {@code i}. */
    void put(int i, Tensor value) {
        if (value.numel() != 1) throw new IllegalArgumentException("LossReadback: slot " + i + " takes a scalar, got " + value);
        Tensor v = value.isContiguous() ? value : value.contiguous();
        backend.copyStrided(v.buffer(), new int[] {1}, slots.slice(i, 1), new int[] {1}, new int[] {1}, false);
    }

    /** Slot {@code i} as a buffer an op can write into (the clipping's norm). */
    Buffer slot(int i) {
        return slots.slice(i, 1);
    }

    /** Slots [0, count), after everything queued so far: the step's one wait. */
    float[] read(int count) {
        return backend.download(slots.slice(0, count));
    }
}
