package dev.tessera.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.random.Rng;
import dev.tessera.engine.testing.Backends;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearProbeTest {

    /**
     * A linearly separable problem the probe has to learn rather than look up: labels are argmax over 4 fixed
     * random linear functions of Gaussian inputs, with features on wildly different scales (BN must fix that).
     */
    static FeatureSet separable(int n, long seed) {
        int dim = 12, classes = 4;
        float[][] w = new float[classes][];
        Rng wr = new Rng(99);
        for (int k = 0; k < classes; k++) w[k] = wr.normal(dim, 0f, 1f);
        Rng rng = new Rng(seed);
        float[] f = new float[n * dim];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < dim; j++) f[i * dim + j] = (float) rng.nextGaussian();
            for (int k = 0; k < classes; k++) {
                double s = 0;
                for (int j = 0; j < dim; j++) s += w[k][j] * f[i * dim + j];
                if (s > best) {
                    best = s;
                    y[i] = k;
                }
            }
            for (int j = 0; j < dim; j++) f[i * dim + j] = f[i * dim + j] * (j % 3 == 0 ? 50f : 0.02f) + 3f;
        }
        return new FeatureSet(f, y, dim, classes);
    }

    @Test
    void learnsALinearlySeparableProblemWithTheDefaultRecipe() {
        FeatureSet train = separable(2048, 1), test = separable(1024, 2);
        LinearProbe probe = new LinearProbe(Backends.cpu(), 12, 4, new Rng(0));
        double[] loss = probe.fit(train, LinearProbe.recipe().withEpochs(30), 3, null);
        assertTrue(loss[loss.length - 1] < loss[0] / 3, "loss " + loss[0] + " → " + loss[loss.length - 1]);
        double acc = probe.accuracy(test);
        assertTrue(acc >= 95, "test accuracy " + acc);
    }

    @Test
    void onlyTheLinearLayerIsTrainedAndNamesAreMaes() {
        LinearProbe probe = new LinearProbe(Backends.cpu(), 8, 3, new Rng(0));
        assertEquals(List.of("head.1.weight", "head.1.bias"), List.copyOf(probe.namedParameters().keySet()));
        assertEquals(List.of("head.0.running_mean", "head.0.running_var"), List.copyOf(probe.namedBuffers().keySet()));
        assertEquals(1e-6f, LinearProbe.BN_EPS);
    }

    @Test
    void sameSeedGivesTheSameProbe() {
        FeatureSet train = separable(512, 1);
        double[] a = new LinearProbe(Backends.cpu(), 12, 4, new Rng(0)).fit(train, LinearProbe.recipe().withEpochs(3), 3, null);
        double[] b = new LinearProbe(Backends.cpu(), 12, 4, new Rng(0)).fit(train, LinearProbe.recipe().withEpochs(3), 3, null);
        assertEquals(a[2], b[2], 0.0);
    }
}
