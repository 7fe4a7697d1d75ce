package dev.tessera.engine.tensor;

/**
 * The backward rule of one op: given dLoss/dOutput (contiguous, the output's shape), it returns dLoss/dInput
 * for each input, in the order the inputs were recorded. An entry may be null when that input needs no
 * gradient, and may have the shape the input was broadcast to (the tape sums it down). The rule only returns:
 * adding gradients into {@link Tensor#grad()} is the tape's job. It runs with grad mode off.
 *
 * <p>Example, the product rule of {@code a·b}:
 * <pre>{@code g -> new Tensor[] {g.mul(b), g.mul(a)}}</pre>
 */
@FunctionalInterface
public interface BackwardFn {
    Tensor[] apply(Tensor gradOutput);
}
