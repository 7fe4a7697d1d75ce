package dev.tessera.tests.precision;

import dev.tessera.data.Batch;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.train.ModelSpec;
import dev.tessera.train.Objective;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One training step's loss and parameter gradients of a model on a backend, from fixed seeds (init, images, masks,
 * drop-path), so two backends — or two precisions — can be compared number by number.
 */
final class PrecisionSteps {
    private PrecisionSteps() {}

    /** The loss and every trainable parameter's gradient, by name. */
    record Step(double loss, Map<String, float[]> grads) {

        /** ‖g − ref‖ / ‖ref‖ over all gradients together. */
        double gradientError(Step ref) {
            double num = 0, den = 0;
            for (var e : ref.grads.entrySet()) {
                float[] r = e.getValue(), g = grads.get(e.getKey());
                for (int i = 0; i < r.length; i++) {
                    num += (g[i] - (double) r[i]) * (g[i] - (double) r[i]);
                    den += (double) r[i] * r[i];
                }
            }
            return Math.sqrt(num / den);
        }

        double lossError(Step ref) {
            return Math.abs(loss - ref.loss) / Math.abs(ref.loss);
        }
    }

    /** Builds {@code spec} on {@code be} from seed 3 and runs one step on {@code n} seeded normal images. */
    static Step run(Backend be, ModelSpec spec, int n) {
        Objective o = spec.build(be, 3);
        int[] shape = o.imageShape();
        int size = shape[0] * shape[1] * shape[2];
        Batch batch = new Batch(new Rng(17).normal(n * size, 0f, 1f), new int[n], n, shape[0], shape[1], shape[2], indices(n));
        o.model().train(true);
        try (StepScope scope = be.openScope()) {
            Tensor loss = o.loss(batch, new Rng(29));
            double l = loss.item();
            loss.backward();
            Map<String, float[]> grads = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : o.model().namedParameters().entrySet()) {
                if (!e.getValue().trainable()) continue;
                Tensor g = e.getValue().tensor().grad();
                if (g != null) grads.put(e.getKey(), g.toArray());
            }
            return new Step(l, grads);
        }
    }

    private static int[] indices(int n) {
        int[] ix = new int[n];
        for (int i = 0; i < n; i++) ix[i] = i;
        return ix;
    }
}
