package dev.tessera.engine.backend;

/**
 * A training step recorded once by {@link Backend#captureStep} and replayed as one launch (a CUDA graph): every
 * kernel, memset and device copy the step queued, with the same buffers. A replay reads whatever those buffers
 * hold when it runs, so the host refreshes a step's inputs (images, masking noise, AdamW's constants) in place
 * before calling {@link #replay}; nothing else about the step may change (shapes, buffers, the ops themselves).
 */
public interface CapturedStep extends AutoCloseable {
    /** Queues the recorded step again, after everything queued before (it does not wait). */
    void replay();

    /** Frees the graph and hands its memory back to the backend's cache. */
    @Override
    void close();
}
