package dev.tessera.engine.tensor;

/**
 * The backward rule of one op. It receives the gradient of the loss with respect to the op's output
 * (contiguous, same shape) and accumulates the gradients of the inputs, usually through
 * {@link Tensor#accumulateGrad} or, for fused kernels, directly into {@link Tensor#gradBuffer()}.
 * It runs with grad mode off, so tensors it computes are not recorded.
 */
@FunctionalInterface
public interface BackwardFn {
    void apply(Tensor gradOutput);
}
