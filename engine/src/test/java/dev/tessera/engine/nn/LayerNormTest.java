package dev.tessera.engine.nn;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayerNormTest {
    final Backend be = Backends.cpu();

    @Test
    void initIsOnesAndZerosWithTimmNames() {
        LayerNorm ln = new LayerNorm(be, 5, 1e-6f);
        assertEquals(List.of("weight", "bias"), List.copyOf(ln.namedParameters().keySet()));
        assertArrayEquals(new float[] {1, 1, 1, 1, 1}, ln.weight().tensor().toArray());
        assertArrayEquals(new float[5], ln.bias().tensor().toArray());
    }

    @Test
    void forwardNormalisesEachRowWithTheBiasedVariance() {
        LayerNorm ln = new LayerNorm(be, 4, 1e-5f);
        ln.weight().tensor().copyFrom(new float[] {1, 2, 0.5f, -1});
        ln.bias().tensor().copyFrom(new float[] {0, 1, 0, 0.25f});
        float[] x = {1, 2, 3, 4, -2, 0, 0, 6};
        float[] expected = new float[8];
        float[] w = {1, 2, 0.5f, -1}, b = {0, 1, 0, 0.25f};
        for (int r = 0; r < 2; r++) {
            double mean = 0, var = 0;
            for (int c = 0; c < 4; c++) mean += x[r * 4 + c] / 4.0;
            for (int c = 0; c < 4; c++) var += Math.pow(x[r * 4 + c] - mean, 2) / 4.0;
            for (int c = 0; c < 4; c++) expected[r * 4 + c] = (float) ((x[r * 4 + c] - mean) / Math.sqrt(var + 1e-5) * w[c] + b[c]);
        }
        // Row 0 by hand: mean 2.5, var 1.25, so x̂ = [-1.3416, -0.4472, 0.4472, 1.3416].
        assertEquals(-1.3416355f * 1 + 0, expected[0], 1e-5);
        assertClose("layerNorm", expected, ln.forward(Tensor.of(be, x, 2, 4)).toArray(), 1e-6, 1e-5);
    }

    @Test
    void gradientsThroughTheModule() {
        LayerNorm ln = new LayerNorm(be, 6, 1e-6f);
        ln.weight().tensor().copyFrom(new Rng(1).uniform(6, 0.5f, 1.5f));
        ln.bias().tensor().copyFrom(new Rng(2).uniform(6, -0.5f, 0.5f));
        Tensor x = GradCheck.random(be, 3, -2, 2, 3, 6);
        ModuleGradCheck.check("LayerNorm", ln, ln::forward, x);
    }
}
