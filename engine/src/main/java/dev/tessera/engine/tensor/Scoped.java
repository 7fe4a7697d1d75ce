package dev.tessera.engine.tensor;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Inference memory: under no-grad nothing is kept for a backward pass, so the temporaries of one stage (a
 * transformer block's qkv, scores, MLP hidden layer) are dead as soon as the stage's output exists. Running
 * the stage in a nested {@link StepScope} and copying out only its output releases them right there instead of
 * at the end of the enclosing step — for a 12-block encoder, one block's working set instead of twelve.
 * With grad mode on the tape still needs every temporary, so the stage simply runs in place.
 */
public final class Scoped {
    private Scoped() {}

    /**
     * Runs {@code stage}; under no-grad, in a nested scope whose only survivor is a contiguous copy of the result
     * (allocated beforehand in the enclosing scope, so it must have {@code shape}).
     */
    public static Tensor keep(Backend backend, int[] shape, Supplier<Tensor> stage) {
        if (GradMode.isEnabled()) return stage.get();
        Tensor out = Tensor.owning(backend, backend.allocateUninitialized(Shape.numel(shape)), shape);
        try (StepScope nested = backend.openScope()) {
            Tensor y = stage.get();
            if (!Arrays.equals(y.shape(), shape)) {
                throw new ShapeException("Scoped.keep: the stage returned " + Shape.str(y.shape()) + ", expected " + Shape.str(shape));
            }
            out.copyFrom(y);
        }
        return out;
    }
}
