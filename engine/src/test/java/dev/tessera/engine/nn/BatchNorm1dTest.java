package dev.tessera.engine.nn;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchNorm1dTest {
    final Backend be = Backends.cpu();

    @Test
    void probeHeadHasNoParametersAndTwoBuffers() {
        BatchNorm1d bn = new BatchNorm1d(be, 3, 1e-6f, 0.1f, false);
        assertEquals(0, bn.namedParameters().size());
        assertEquals(List.of("running_mean", "running_var"), List.copyOf(bn.namedBuffers().keySet()));
        assertClose("running_var init", new float[] {1, 1, 1}, bn.runningVar().toArray(), 0, 0);
    }

    @Test
    void trainingUsesBatchStatsAndUpdatesRunningStatsLikeTorch() {
        BatchNorm1d bn = new BatchNorm1d(be, 2, 1e-5f, 0.1f, false);
        // Column 0: 1, 2, 3, 6 → mean 3, biased var 3.5, unbiased 14/3.
        // Column 1: 0, 0, 4, 4 → mean 2, biased var 4, unbiased 16/3.
        float[] x = {1, 0, 2, 0, 3, 4, 6, 4};
        float[] y = bn.forward(Tensor.of(be, x, 4, 2)).toArray();
        float[] expected = new float[8];
        double[] mean = {3, 2}, var = {3.5, 4};
        for (int i = 0; i < 8; i++) expected[i] = (float) ((x[i] - mean[i % 2]) / Math.sqrt(var[i % 2] + 1e-5));
        assertClose("train forward", expected, y, 1e-6, 1e-5);
        // running_mean = 0.9·0 + 0.1·mean; running_var = 0.9·1 + 0.1·unbiased var.
        assertClose("running_mean", new float[] {0.3f, 0.2f}, bn.runningMean().toArray(), 1e-7, 1e-6);
        assertClose("running_var", new float[] {0.9f + 0.1f * 14 / 3f, 0.9f + 0.1f * 16 / 3f}, bn.runningVar().toArray(), 1e-7, 1e-6);
        // A second batch keeps the exponential average going: column 0 of {0, 2} has mean 1, unbiased var 2.
        bn.forward(Tensor.of(be, new float[] {0, 1, 2, 1}, 2, 2));
        assertClose("running_mean 2", new float[] {0.9f * 0.3f + 0.1f * 1, 0.9f * 0.2f + 0.1f * 1}, bn.runningMean().toArray(), 1e-7, 1e-6);
        assertClose("running_var 2", new float[] {0.9f * (0.9f + 0.1f * 14 / 3f) + 0.1f * 2, 0.9f * (0.9f + 0.1f * 16 / 3f)},
                bn.runningVar().toArray(), 1e-7, 1e-6);
    }

    @Test
    void evalUsesRunningStats() {
        BatchNorm1d bn = new BatchNorm1d(be, 2, 1e-6f, 0.1f, false);
        bn.runningMean().copyFrom(new float[] {1, -1});
        bn.runningVar().copyFrom(new float[] {4, 0.25f});
        bn.train(false);
        float[] y = bn.forward(Tensor.of(be, new float[] {3, 0, 1, -1}, 2, 2)).toArray();
        float[] expected = {(float) (2 / Math.sqrt(4 + 1e-6)), (float) (1 / Math.sqrt(0.25 + 1e-6)), 0, 0};
        assertClose("eval forward", expected, y, 1e-6, 1e-6);
        assertClose("running stats untouched", new float[] {1, -1}, bn.runningMean().toArray(), 0, 0);
    }

    @Test
    void affineGradientsThroughTheModule() {
        BatchNorm1d bn = new BatchNorm1d(be, 3, 1e-5f, 0.1f, true);
        assertEquals(List.of("weight", "bias"), List.copyOf(bn.namedParameters().keySet()));
        bn.weight().tensor().copyFrom(new Rng(1).uniform(3, 0.5f, 1.5f));
        bn.bias().tensor().copyFrom(new Rng(2).uniform(3, -0.5f, 0.5f));
        Tensor x = GradCheck.random(be, 3, -2, 2, 5, 3);
        ModuleGradCheck.check("BatchNorm1d", bn, bn::forward, x);
    }

    @Test
    void shapeErrorsNameTheShape() {
        BatchNorm1d bn = new BatchNorm1d(be, 3, false);
        ShapeException e = assertThrows(ShapeException.class, () -> bn.forward(Tensor.zeros(be, 4, 5)));
        assertEquals(true, e.getMessage().contains("[4, 5]"), e.getMessage());
        assertThrows(ShapeException.class, () -> bn.forward(Tensor.zeros(be, 1, 3)));
    }
}
