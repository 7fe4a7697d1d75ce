package dev.tessera.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The clip's sum of squares: the vector loop is the scalar 32-lane definition bit for bit, whatever the thread count,
 * and as accurate as a float result can be.
 */
class GradClipCpuTest {
    static float[] gradients(int n, long seed) {
        Random r = new Random(seed);
        float[] g = new float[n];
        // Mixed magnitudes, as a model's gradients are: the order of additions matters for these.
        for (int i = 0; i < n; i++) g[i] = (float) r.nextGaussian() * (i % 11 == 0 ? 3f : i % 5 == 0 ? 1e-4f : 0.02f);
        return g;
    }

    @Test
    void vectorLoopIsTheScalarLaneDefinition() {
        // Three full chunks and a tail that is not a multiple of 32; an offset start; a buffer shorter than 32.
        for (int n : new int[] {3 * GradClipCpu.CHUNK + 777, 1001, 31, 0}) {
            float[] g = gradients(n + 5, n);
            try (Parallel one = new Parallel(1)) {
                double vector = GradClipCpu.sumOfSquares(one, g, 5, n, true);
                double scalar = GradClipCpu.sumOfSquares(one, g, 5, n, false);
                assertEquals(Double.doubleToRawLongBits(scalar), Double.doubleToRawLongBits(vector), "n " + n);
            }
        }
    }

    @Test
    void sameBitsForEveryThreadCount() {
        float[] g = gradients(5 * GradClipCpu.CHUNK + 12_345, 7);
        long expected;
        try (Parallel one = new Parallel(1)) {
            expected = Double.doubleToRawLongBits(GradClipCpu.sumOfSquares(one, g, 0, g.length, true));
        }
        for (int threads : new int[] {2, 3, 4}) {
            try (Parallel par = new Parallel(threads)) {
                assertEquals(expected, Double.doubleToRawLongBits(GradClipCpu.sumOfSquares(par, g, 0, g.length, true)),
                        threads + " threads");
            }
        }
    }

    @Test
    void chunkSumsAreFloatAccurate() {
        float[] g = gradients(GradClipCpu.CHUNK + 99, 11);
        double exact = 0, comp = 0;   // Kahan-compensated double sum of the float squares
        for (float x : g) {
            double y = (double) (x * x) - comp, t = exact + y;
            comp = (t - exact) - y;
            exact = t;
        }
        try (Parallel par = new Parallel(2)) {
            double s = GradClipCpu.sumOfSquares(par, g, 0, g.length, true);
            // Two chunk sums, each rounded to float: within an ulp of float each.
            assertEquals(exact, s, 2 * Math.ulp((float) exact));
        }
    }

    @Test
    void clipWritesTheNormAndScalesAsTorch() {
        float[] g = {3, 0, -4};
        float[] norm = new float[1];
        try (Parallel par = new Parallel(2)) {
            GradClipCpu.clip(par, g, 0, 3, 1f, norm, 0);
        }
        assertEquals(5f, norm[0]);
        float c = (float) (1 / (5 + 1e-6));
        assertEquals(3 * c, g[0]);
        assertEquals(-4 * c, g[2]);
    }
}
