package dev.tessera.engine.tensor;

import dev.tessera.engine.tensor.internal.FusedBackward;

/**
 * How a tensor was made: the op's inputs and its backward rule (micrograd's {@code _prev} and
 * {@code _backward}). Exactly one of {@code backward} and {@code fused} is set.
 */
record Node(Tensor[] inputs, BackwardFn backward, FusedBackward fused) {}
