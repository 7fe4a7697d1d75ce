package dev.tessera.engine.backend;

/**
 * A host→device copy {@link Backend#prefetch} started and that may still be running (on a GPU: on a copy stream,
 * beside the kernels of the step before). {@link #await} orders it before the work queued after it.
 */
@FunctionalInterface
public interface Prefetch {
    /** Nothing to wait for: the copy is already ordered before later work (the CPU's plain copy). */
    Prefetch DONE = () -> {};

    /**
     * Makes every op queued from now on see the copied data. Never blocks the host on a GPU (the compute stream
     * waits for the copy's event); call it once, before the first op that reads the destination.
     */
    void await();
}
