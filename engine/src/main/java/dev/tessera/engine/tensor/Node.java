package dev.tessera.engine.tensor;

/**
 * One entry of the autograd tape: which op made a tensor, from which inputs, and how to push the output's
 * gradient back into them (micrograd's {@code _prev} and {@code _backward}, one per tensor).
 */
record Node(String op, Tensor[] inputs, BackwardFn backward) {}
