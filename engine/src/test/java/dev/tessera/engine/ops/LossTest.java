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
    void softCrossEntropyAgainstTheDefinition() {
        int n = 3, c = 4;
        Tensor logits = GradCheck.random(be, 2, -2f, 2f, n, c);
        // Targets are mixup-like: rows that sum to 1.
        float[] t = {0.7f, 0.3f, 0f, 0f, 0f, 0f, 1f, 0f, 0.25f, 0.25f, 0.25f, 0.25f};
        Tensor targets = Tensor.of(be, t, n, c).requiresGrad(true);
        double[][] lp = logSoftmaxRows(logits.toArray(), n, c);
        double expected = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < c; j++) expected -= t[i * c + j] * lp[i][j] / n;
        assertEquals(expected, Loss.softCrossEntropy(logits, targets).item(), 1e-6);
        GradCheck.check("softCrossEntropy", x -> Loss.softCrossEntropy(x[0], x[1]), logits, targets);
        // With one-hot targets it equals the hard-label loss.
        Tensor oneHot = Tensor.of(be, new float[] {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1}, n, c);
        assertEquals(Loss.crossEntropy(logits, Tensor.ofInts(be, new int[] {2, 0, 3}, n), 0f).item(),
                Loss.softCrossEntropy(logits, oneHot).item(), 1e-6);
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

    @Test
    void weightedMseIsMaesLossOnRemovedPatches() {
        int n = 2, l = 3, p = 4;
        Tensor pred = GradCheck.random(be, 5, -1f, 1f, n, l, p), target = GradCheck.random(be, 6, -1f, 1f, n, l, p);
        float[] mask = {1, 0, 1, 0, 1, 1}; // 1 = removed (docs/mae.md#masking)
        Tensor m = Tensor.of(be, mask, n, l);
        float[] pv = pred.toArray(), tv = target.toArray();
        // docs/mae.md#loss: l[n, i] = mean over P of (pred − target)²; loss = Σ l·mask / Σ mask.
        double num = 0, den = 0;
        for (int s = 0; s < n * l; s++) {
            double per = 0;
            for (int k = 0; k < p; k++) per += Math.pow(pv[s * p + k] - tv[s * p + k], 2) / p;
            num += per * mask[s];
            den += mask[s];
        }
        assertEquals(num / den, Loss.weightedMse(pred, target, m.reshape(n, l, 1)).item(), 1e-6);
        GradCheck.check("weightedMse", x -> Loss.weightedMse(x[0], x[1], m.reshape(n, l, 1)), pred, target);
        // A full-shape weight of ones is plain mse.
        assertEquals(Loss.mse(pred, target).item(), Loss.weightedMse(pred, target, Tensor.ones(be, n, l, p)).item(), 1e-6);
        // The weight gets a gradient too (soft masks).
        Tensor w = GradCheck.random(be, 7, 0.5f, 1.5f, n, l, 1);
        GradCheck.check("weightedMse weight", x -> Loss.weightedMse(x[0], x[1], x[2]), pred, target, w);
        ShapeException e = assertThrows(ShapeException.class, () -> Loss.weightedMse(pred, target, Tensor.ones(be, n, l)));
        assertTrue(e.getMessage().contains("weightedMse") && e.getMessage().contains("[2, 3]")
                && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
    }
}
