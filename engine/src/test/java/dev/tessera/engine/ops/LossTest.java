package dev.tessera.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** Losses against their PyTorch definitions written as loops in double. */
class LossTest {
    final Backend be = Backends.cpu();

    static double[][] logSoftmaxRows(float[] x, int n, int c) {
        double[][] lp = new double[n][c];
        for (int i = 0; i < n; i++) {
            double m = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j < c; j++) m = Math.max(m, x[i * c + j]);
            for (int j = 0; j < c; j++) z += Math.exp(x[i * c + j] - m);
            for (int j = 0; j < c; j++) lp[i][j] = x[i * c + j] - m - Math.log(z);
        }
        return lp;
    }

    @Test
    void crossEntropyHardLabelsWithAndWithoutSmoothing() {
        int n = 4, c = 5;
        Tensor logits = GradCheck.random(be, 1, -2f, 2f, n, c);
        int[] y = {3, 0, 4, 3};
        Tensor labels = Tensor.ofInts(be, y, n);
        double[][] lp = logSoftmaxRows(logits.toArray(), n, c);
        for (float eps : new float[] {0f, 0.1f}) {
            double expected = 0;
            for (int i = 0; i < n; i++) {
                double uniform = 0;
                for (int j = 0; j < c; j++) uniform -= lp[i][j] / c;
                expected += ((1 - eps) * -lp[i][y[i]] + eps * uniform) / n;
            }
            Tensor loss = Loss.crossEntropy(logits, labels, eps);
            assertArrayEquals(new int[0], loss.shape());
            assertEquals(expected, loss.item(), 1e-6, "crossEntropy eps=" + eps);
            GradCheck.check("crossEntropy eps=" + eps, t -> Loss.crossEntropy(t[0], labels, eps), logits);
        }
        // Hand value: uniform logits give log C whatever the label and smoothing.
        assertEquals(Math.log(c), Loss.crossEntropy(Tensor.zeros(be, 2, c), Tensor.ofInts(be, new int[] {1, 4}, 2), 0.1f).item(), 1e-6);
    }

    @Test
    void crossEntropyRejectsBadLabelsByName() {
        Tensor logits = Tensor.zeros(be, 2, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Loss.crossEntropy(logits, Tensor.ofInts(be, new int[] {1, 5}, 2), 0f));
        assertTrue(e.getMessage().contains("crossEntropy") && e.getMessage().contains("label 5")
                && e.getMessage().contains("C = 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Loss.crossEntropy(logits, Tensor.ofInts(be, new int[] {-1, 0}, 2), 0f));
        ShapeException s = assertThrows(ShapeException.class,
                () -> Loss.crossEntropy(logits, Tensor.ofInts(be, new int[] {0, 0, 0}, 3), 0f));
        assertTrue(s.getMessage().contains("[2, 5]") && s.getMessage().contains("[3]"), s.getMessage());
    }

    @Test
    void mseMeansOverEveryElement() {
        Tensor p = GradCheck.random(be, 3, -1f, 1f, 2, 3, 4), t = GradCheck.random(be, 4, -1f, 1f, 2, 3, 4);
        float[] pv = p.toArray(), tv = t.toArray();
        double expected = 0;
        for (int i = 0; i < pv.length; i++) expected += Math.pow(pv[i] - tv[i], 2) / pv.length;
        assertEquals(expected, Loss.mse(p, t).item(), 1e-6);
        GradCheck.check("mse", x -> Loss.mse(x[0], x[1]), p, t);
        ShapeException e = assertThrows(ShapeException.class, () -> Loss.mse(p, Tensor.zeros(be, 2, 3)));
        assertTrue(e.getMessage().contains("mse") && e.getMessage().contains("[2, 3, 4]")
                && e.getMessage().contains("[2, 3]"), e.getMessage());
    }
}
