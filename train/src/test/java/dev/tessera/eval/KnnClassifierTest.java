package dev.tessera.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.engine.random.Rng;
import dev.tessera.engine.testing.Backends;
import org.junit.jupiter.api.Test;

class KnnClassifierTest {

    /** n points per class around well-separated random centres in dim dimensions. */
    static FeatureSet clusters(int perClass, int classes, int dim, float spread, long seed) {
        Rng rng = new Rng(seed);
        Rng centres = new Rng(1234);
        float[][] c = new float[classes][];
        for (int k = 0; k < classes; k++) c[k] = centres.normal(dim, 0f, 1f);
        float[] f = new float[perClass * classes * dim];
        int[] y = new int[perClass * classes];
        for (int i = 0; i < y.length; i++) {
            y[i] = i % classes;
            for (int j = 0; j < dim; j++) f[i * dim + j] = c[y[i]][j] + spread * (float) rng.nextGaussian();
        }
        return new FeatureSet(f, y, dim, classes);
    }

    @Test
    void separableClustersAreClassifiedPerfectly() {
        FeatureSet train = clusters(30, 4, 16, 0.1f, 1), test = clusters(25, 4, 16, 0.1f, 2);
        assertEquals(100.0, KnnClassifier.dino().accuracy(Backends.cpu(), train, test), 1e-9);
    }

    @Test
    void votesAreWeightedByExpSimOverTemperature() {
        // Three neighbours of a query along +x: one class-0 sample almost on it (cos 0.9), two class-1 samples far
        // off (cos 0.1). A plain majority says 1; exp(0.9/0.07) ≫ 2·exp(0.1/0.07) says 0.
        double a = Math.acos(0.9), b = Math.acos(0.1);
        float[] train = {(float) Math.cos(a), (float) Math.sin(a), (float) Math.cos(b), (float) Math.sin(b),
                (float) Math.cos(b), -(float) Math.sin(b), -1f, 0f};
        FeatureSet tr = new FeatureSet(train, new int[] {0, 1, 1, 2}, 2, 3);
        FeatureSet query = new FeatureSet(new float[] {5f, 0f}, new int[] {0}, 2, 3);   // length does not matter (cosine)
        assertArrayEquals(new int[] {0}, new KnnClassifier(3, 0.07f).predict(Backends.cpu(), tr, query));
        // At a very high temperature the weights are all ~1: the majority (class 1) wins.
        assertArrayEquals(new int[] {1}, new KnnClassifier(3, 1000f).predict(Backends.cpu(), tr, query));
    }

    @Test
    void topKKeepsTheLargestInOrderWithEarlierFirstOnTies() {
        float[] sims = {0.1f, 0.9f, 0.5f, 0.9f, -1f, 0.7f};
        int[] idx = new int[3];
        float[] sim = new float[3];
        KnnClassifier.topK(sims, 0, sims.length, idx, sim);
        assertArrayEquals(new int[] {1, 3, 5}, idx);
        assertArrayEquals(new float[] {0.9f, 0.9f, 0.7f}, sim);
    }

    @Test
    void refusesMoreNeighboursThanSamplesAndMismatchedDims() {
        FeatureSet small = clusters(2, 2, 4, 0.1f, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> KnnClassifier.dino().predict(Backends.cpu(), small, small));
        assertEquals("kNN: k = 20 but only 4 training samples", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new KnnClassifier(1, 0.07f).predict(Backends.cpu(), small, clusters(2, 2, 5, 0.1f, 1)));
    }
}
