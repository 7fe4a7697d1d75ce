package dev.tessera.engine.nn;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Erf;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import java.util.List;
import org.junit.jupiter.api.Test;

class MlpTest {
    final Backend be = Backends.cpu();

    @Test
    void timmNamesAndShapes() {
        Mlp mlp = new Mlp(be, 4, 16, new Rng(1));
        assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), List.copyOf(mlp.namedParameters().keySet()));
        assertArrayEquals(new int[] {16, 4}, mlp.fc1().weight().shape());
        assertArrayEquals(new int[] {4, 16}, mlp.fc2().weight().shape());
        assertEquals(4 * 16 + 16 + 16 * 4 + 4, mlp.parameterCount(true));
    }

    @Test
    void forwardIsFc2OfExactGeluOfFc1() {
        Mlp mlp = new Mlp(be, 3, 5, 2, new Rng(2));
        mlp.fc1().bias().tensor().copyFrom(new Rng(3).uniform(5, -1, 1));
        mlp.fc2().bias().tensor().copyFrom(new Rng(4).uniform(2, -1, 1));
        float[] w1 = mlp.fc1().weight().tensor().toArray(), b1 = mlp.fc1().bias().tensor().toArray();
        float[] w2 = mlp.fc2().weight().tensor().toArray(), b2 = mlp.fc2().bias().tensor().toArray();
        float[] x = new Rng(5).uniform(2 * 3, -2, 2);
        float[] expected = new float[2 * 2];
        for (int r = 0; r < 2; r++) {
            double[] h = new double[5];
            for (int j = 0; j < 5; j++) {
                double s = b1[j];
                for (int i = 0; i < 3; i++) s += x[r * 3 + i] * w1[j * 3 + i];
                h[j] = 0.5 * s * (1 + Erf.erf(s / Math.sqrt(2)));
            }
            for (int o = 0; o < 2; o++) {
                double s = b2[o];
                for (int j = 0; j < 5; j++) s += h[j] * w2[o * 5 + j];
                expected[r * 2 + o] = (float) s;
            }
        }
        assertClose("mlp", expected, mlp.forward(Tensor.of(be, x, 2, 3)).toArray(), 1e-6, 1e-5);
    }

    @Test
    void gradientsThroughTheModule() {
        Mlp mlp = new Mlp(be, 3, 4, new Rng(6));
        mlp.fc1().bias().tensor().copyFrom(new Rng(7).uniform(4, -1, 1));
        Tensor x = GradCheck.random(be, 8, -1, 1, 2, 3);
        ModuleGradCheck.check("Mlp", mlp, mlp::forward, x);
    }
}
