package dev.tessera.engine.tensor.internal;

import dev.tessera.engine.tensor.Tensor;

/**
 * The backward rule of an op whose gradients come from GEMMs or fused kernels: like
 * {@link dev.tessera.engine.tensor.BackwardFn} it returns one gradient per input (null where none is needed,
 * and then only there), but as {@link Deferred}s that the tape has written into the right buffer.
 */
@FunctionalInterface
public interface FusedBackward {
    Deferred[] apply(Tensor gradOutput);
}
