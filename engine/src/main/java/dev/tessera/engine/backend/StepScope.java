package dev.tessera.engine.backend;

/**
 * A region (typically one training step) whose buffers are all released when it closes. Everything the
 * autograd tape allocates for activations and their gradients lives in the step's scope; parameters,
 * their flat gradient buffer and optimizer state are allocated outside any scope and persist. This is what
 * keeps memory flat over thousands of steps on every backend (the CUDA caching allocator relies on it).
 * Scopes nest; a buffer belongs to the innermost scope open when it was allocated.
 */
public interface StepScope extends AutoCloseable {
    @Override
    void close();
}
