package dev.tessera.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MaxPool2dOpTest {
    final Backend be = Backends.cpu();

    /** Distinct values 0.05 apart in random order: no two in a window are within the finite difference's step. */
    Tensor distinct(long seed, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.05f * i - 1f;
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.of(be, v, shape).requiresGrad(true);
    }

    @Test
    void maxOfEachWindowAndGradientToItsArgmax() {
        Tensor x = distinct(1, 2, 3, 4, 6);
        Tensor y = MaxPool2dOp.maxPool2d(x, 2);
        assertArrayEquals(new int[] {2, 3, 2, 3}, y.shape());
        float[] xv = x.toArray(), yv = y.toArray();
        for (int p = 0; p < 6; p++)
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 3; b++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) m = Math.max(m, xv[(p * 4 + 2 * a + i) * 6 + 2 * b + j]);
                    assertEquals(m, yv[(p * 2 + a) * 3 + b]);
                }
        GradCheck.check("maxPool2d k2", t -> MaxPool2dOp.maxPool2d(t[0], 2), x);
    }

    @Test
    void oddSizesDropTheLastRowAndColumnAsFloorModeDoes() {
        Tensor x = distinct(2, 1, 2, 5, 7);
        assertArrayEquals(new int[] {1, 2, 2, 3}, MaxPool2dOp.maxPool2d(x, 2).shape());
        GradCheck.check("maxPool2d odd", t -> MaxPool2dOp.maxPool2d(t[0], 2), x);
        GradCheck.check("maxPool2d k3 of a permuted view", t -> MaxPool2dOp.maxPool2d(t[0].permute(0, 1, 3, 2), 3), x);
    }

    @Test
    void tiesGoToTheFirstElementInScanOrder() {
        Tensor x = Tensor.of(be, new float[] {1, 1, 1, 1}, 1, 1, 2, 2).requiresGrad(true);
        MaxPool2dOp.maxPool2d(x, 2).sum().backward();
        assertArrayEquals(new float[] {1, 0, 0, 0}, x.grad().toArray());
    }

    @Test
    void rejectsWrongRank() {
        assertThrows(ShapeException.class, () -> MaxPool2dOp.maxPool2d(Tensor.zeros(be, 2, 4, 4), 2));
    }
}
