package dev.tessera.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import org.junit.jupiter.api.Test;

class DropoutModulesTest {
    final Backend be = Backends.cpu();

    /** A parent module, to check that train(false) reaches children. */
    static final class Holder extends Module {
        final Dropout drop;
        final DropPath path;

        Holder(float p, long seed) {
            drop = module("drop", new Dropout(p, new Rng(seed)));
            path = module("drop_path", new DropPath(p, new Rng(seed + 1)));
        }
    }

    @Test
    void dropoutZeroesAboutPAndScalesTheRest() {
        Holder h = new Holder(0.25f, 1);
        float[] ones = new float[20_000];
        java.util.Arrays.fill(ones, 1f);
        float[] y = h.drop.forward(Tensor.of(be, ones, 100, 200)).toArray();
        int zeros = 0;
        for (float v : y) {
            if (v == 0f) zeros++;
            else assertEquals(1f / 0.75f, v, 1e-6f);
        }
        // Binomial(20000, 0.25): mean 5000, s.d. 61.
        assertEquals(5000, zeros, 300);
        // Same seed, same mask.
        assertArrayEquals(y, new Holder(0.25f, 1).drop.forward(Tensor.of(be, ones, 100, 200)).toArray());
    }

    @Test
    void dropPathDropsWholeSamples() {
        Holder h = new Holder(0.5f, 3);
        int n = 400;
        float[] x = new Rng(9).uniform(n * 6, 1, 2);
        float[] y = h.path.forward(Tensor.of(be, x, n, 2, 3)).toArray();
        int dropped = 0;
        for (int s = 0; s < n; s++) {
            boolean zero = y[s * 6] == 0f;
            if (zero) dropped++;
            for (int j = 0; j < 6; j++) {
                assertEquals(zero ? 0f : x[s * 6 + j] * 2f, y[s * 6 + j], 1e-6f, "sample " + s);
            }
        }
        // Binomial(400, 0.5): mean 200, s.d. 10.
        assertEquals(200, dropped, 50);
    }

    @Test
    void evalModeIsTheIdentityForBoth() {
        Holder h = new Holder(0.5f, 5);
        h.train(false);
        assertFalse(h.drop.isTraining());
        assertFalse(h.path.isTraining());
        float[] x = new Rng(6).uniform(50, -1, 1);
        assertArrayEquals(x, h.drop.forward(Tensor.of(be, x, 5, 10)).toArray());
        assertArrayEquals(x, h.path.forward(Tensor.of(be, x, 5, 10)).toArray());
        h.train(true);
        assertTrue(h.drop.isTraining());
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1f, new Rng(1)));
        assertThrows(IllegalArgumentException.class, () -> new DropPath(-0.1f, new Rng(1)));
    }
}
