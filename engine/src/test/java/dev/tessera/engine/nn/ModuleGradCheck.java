package dev.tessera.engine.nn;

import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.GradCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Finite-difference check through a module: the input and every trainable parameter are checked with
 * {@link GradCheck}. A module's forward reads its own parameter tensors, so for each perturbed copy that
 * GradCheck makes, the copy's values are written into the parameter for the duration of one forward call
 * and the original values are put back right after.
 */
final class ModuleGradCheck {
    private ModuleGradCheck() {}

    static void check(String name, Module module, UnaryOperator<Tensor> forward, Tensor x) {
        List<Tensor> params = new ArrayList<>();
        for (Parameter p : module.namedParameters().values()) if (p.trainable()) params.add(p.tensor());
        Tensor[] inputs = new Tensor[params.size() + 1];
        inputs[0] = x;
        for (int i = 0; i < params.size(); i++) inputs[i + 1] = params.get(i);
        GradCheck.check(name, t -> {
            float[][] saved = new float[params.size()][];
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (t[i + 1] != p) {
                    saved[i] = p.toArray();
                    p.copyFrom(t[i + 1].toArray());
                }
            }
            Tensor out = forward.apply(t[0]);
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (saved[i] != null) p.copyFrom(saved[i]);
            }
            return out;
        }, inputs);
    }
}
