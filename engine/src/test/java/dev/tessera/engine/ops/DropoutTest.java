package dev.tessera.engine.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DropoutTest {
    final Backend be = Backends.cpu();

    @Test
    void identityWhenOffAndPValidated() {
        Tensor x = GradCheck.random(be, 1, -1f, 1f, 3, 4);
        assertSame(x, Dropout.dropout(x, 0.5f, new SplittableRandom(1), false));
        assertSame(x, Dropout.dropout(x, 0f, new SplittableRandom(1), true));
        assertSame(x, Dropout.dropPath(x, 0.5f, new SplittableRandom(1), false));
        assertSame(x, Dropout.dropPath(x, 0f, new SplittableRandom(1), true));
        for (float bad : new float[] {1f, -0.1f, Float.NaN}) {
            assertThrows(IllegalArgumentException.class, () -> Dropout.dropout(x, bad, new SplittableRandom(1), true));
            assertThrows(IllegalArgumentException.class, () -> Dropout.dropPath(x, bad, new SplittableRandom(1), false));
        }
    }

    @Test
    void dropoutWithAFixedSeedScalesKeptValuesAndTheGradientIsTheMask() {
        float p = 0.25f, scale = 1f / (1f - p);
        Tensor x = GradCheck.random(be, 2, 0.5f, 1.5f, 6, 7);
        Tensor y = Dropout.dropout(x, p, new SplittableRandom(42), true);
        // The same stream decides, element by element in row-major order: keep when u >= p.
        SplittableRandom rng = new SplittableRandom(42);
        float[] xv = x.toArray(), yv = y.toArray();
        for (int i = 0; i < xv.length; i++) {
            boolean keep = rng.nextFloat() >= p;
            assertEquals(keep ? xv[i] * scale : 0f, yv[i], 0f, "element " + i);
        }
        y.sum().backward();
        float[] g = x.grad().toArray();
        for (int i = 0; i < g.length; i++) assertEquals(yv[i] != 0f ? scale : 0f, g[i], 0f, "gradient " + i);
        GradCheck.check("dropout", t -> Dropout.dropout(t[0], p, new SplittableRandom(42), true), x);
    }

    @Test
    void dropoutZeroesAFractionPOfElements() {
        int n = 100_000;
        float p = 0.3f;
        float[] y = Dropout.dropout(Tensor.ones(be, n), p, new SplittableRandom(7), true).toArray();
        int zeros = 0;
        double sum = 0;
        for (float v : y) {
            if (v == 0f) zeros++;
            sum += v;
        }
        // Binomial sd of the fraction is √(p(1−p)/n) ≈ 0.0014, so 1% is about 7 sd.
        assertEquals(p, zeros / (double) n, 0.01);
        assertEquals(1.0, sum / n, 0.02, "inverted dropout keeps the mean");
    }

    @Test
    void dropPathDropsWholeSamples() {
        float p = 0.5f, scale = 2f;
        Tensor x = GradCheck.random(be, 3, 0.5f, 1.5f, 8, 3, 2);
        Tensor y = Dropout.dropPath(x, p, new SplittableRandom(5), true);
        SplittableRandom rng = new SplittableRandom(5);
        float[] xv = x.toArray(), yv = y.toArray();
        for (int s = 0; s < 8; s++) {
            boolean keep = rng.nextFloat() >= p;
            for (int i = 0; i < 6; i++) assertEquals(keep ? xv[s * 6 + i] * scale : 0f, yv[s * 6 + i], 0f);
        }
        y.sum().backward();
        float[] g = x.grad().toArray();
        for (int i = 0; i < g.length; i++) assertEquals(yv[(i / 6) * 6] != 0f ? scale : 0f, g[i], 0f, "gradient " + i);
        GradCheck.check("dropPath", t -> Dropout.dropPath(t[0], p, new SplittableRandom(5), true), x);
        int n = 100_000, dropped = 0;
        for (float v : Dropout.dropPath(Tensor.ones(be, n, 1), 0.1f, new SplittableRandom(9), true).toArray()) {
            if (v == 0f) dropped++;
        }
        assertEquals(0.1, dropped / (double) n, 0.01);
    }
}
