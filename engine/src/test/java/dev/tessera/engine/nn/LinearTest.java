package dev.tessera.engine.nn;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearTest {
    final Backend be = Backends.cpu();

    @Test
    void timmNamesShapesAndXavierZeroInit() {
        Linear l = new Linear(be, 8, 24, true, new Rng(1));
        assertEquals(List.of("weight", "bias"), List.copyOf(l.namedParameters().keySet()));
        assertArrayEquals(new int[] {24, 8}, l.weight().shape());
        assertArrayEquals(new int[] {24}, l.bias().shape());
        assertArrayEquals(new float[24], l.bias().tensor().toArray());
        // xavier_uniform bound sqrt(6/(in+out)) = sqrt(6/32) (docs/vit.md#initialisation), and the draws are the Rng's.
        float bound = (float) Math.sqrt(6.0 / 32);
        for (float w : l.weight().tensor().toArray()) assertTrue(Math.abs(w) <= bound, "weight " + w);
        assertArrayEquals(new Rng(1).xavierUniform(24, 8), l.weight().tensor().toArray());
        Linear noBias = new Linear(be, 8, 24, false, new Rng(1));
        assertEquals(List.of("weight"), List.copyOf(noBias.namedParameters().keySet()));
        assertNull(noBias.bias());
    }

    @Test
    void forwardIsXTimesWTransposedPlusBias() {
        Linear l = new Linear(be, 3, 2, true, new Rng(2));
        l.weight().tensor().copyFrom(new float[] {1, 2, 3, -1, 0, 1});
        l.bias().tensor().copyFrom(new float[] {0.5f, -2});
        Tensor x = Tensor.of(be, new float[] {1, 1, 1, 2, 0, -1}, 2, 3);
        // Row 0: [1+2+3+0.5, -1+0+1-2] = [6.5, -2]; row 1: [2-3+0.5, -2-1-2] = [-0.5, -5].
        assertClose("linear", new float[] {6.5f, -2f, -0.5f, -5f}, l.forward(x).toArray(), 0, 0);
        Tensor x3 = Tensor.of(be, new float[] {1, 1, 1, 2, 0, -1}, 1, 2, 3);
        assertArrayEquals(new int[] {1, 2, 2}, l.forward(x3).shape());
        assertThrows(ShapeException.class, () -> l.forward(Tensor.zeros(be, 2, 4)));
    }

    @Test
    void gradientsThroughTheModule() {
        Linear l = new Linear(be, 4, 3, true, new Rng(3));
        l.bias().tensor().copyFrom(new Rng(4).uniform(3, -1, 1));
        Tensor x = GradCheck.random(be, 5, -1, 1, 2, 2, 4);
        ModuleGradCheck.check("Linear", l, l::forward, x);
    }
}
