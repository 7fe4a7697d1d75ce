package dev.tessera.engine.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RngTest {

    @Test
    void splitMix64MatchesTheReferenceOutputs() {
        // splitmix64.c seeded with 1234567 (the values published with the reference implementation).
        SplitMix64 sm = new SplitMix64(1234567L);
        String[] expected = {"6457827717110365317", "3203168211198807973", "9817491932198370423",
                "4593380528125082431", "16408922859458223821"};
        for (String e : expected) assertEquals(Long.parseUnsignedLong(e), sm.next());
    }

    @Test
    void xoshiroMatchesTheReferenceOutputsFromState1234() {
        // xoshiro256starstar.c from state {1, 2, 3, 4} (the vector rand_xoshiro checks against the C code).
        Rng r = Rng.restore(new long[] {1, 2, 3, 4});
        String[] expected = {"11520", "0", "1509978240", "1215971899390074240", "1216172134540287360",
                "607988272756665600", "16172922978634559625", "8476171486693032832", "10595114339597558777",
                "2904607092377533576"};
        for (String e : expected) assertEquals(Long.parseUnsignedLong(e), r.nextLong());
    }

    @Test
    void sameSeedGivesBitIdenticalSequences() {
        Rng a = new Rng(42), b = new Rng(42), c = new Rng(43);
        assertArrayEquals(a.normal(1001, 0, 1), b.normal(1001, 0, 1));
        assertArrayEquals(a.truncatedNormal(500, 0.02f, -0.02f, 0.02f), b.truncatedNormal(500, 0.02f, -0.02f, 0.02f));
        assertArrayEquals(a.permutation(300), b.permutation(300));
        assertEquals(a.nextLong(), b.nextLong());
        assertNotEquals(new Rng(42).nextLong(), c.nextLong());
    }

    @Test
    void restoreFromStateContinuesIdentically() {
        Rng r = new Rng(7);
        r.normal(333, 0, 1);
        r.permutation(17);
        long[] saved = r.state();
        float[] expected = r.uniform(100, -1, 1);
        long expectedLong = r.nextLong();
        Rng resumed = Rng.restore(saved);
        assertArrayEquals(expected, resumed.uniform(100, -1, 1));
        assertEquals(expectedLong, resumed.nextLong());
        assertArrayEquals(r.state(), resumed.state());
        assertThrows(IllegalArgumentException.class, () -> Rng.restore(new long[3]));
        assertThrows(IllegalArgumentException.class, () -> Rng.restore(new long[4]));
    }

    @Test
    void forkIsDeterministicIndependentAndLeavesTheParentAlone() {
        Rng root = new Rng(1);
        long[] before = root.state();
        long a1 = root.fork(0).nextLong(), a2 = root.fork(0).nextLong(), b = root.fork(1).nextLong();
        assertArrayEquals(before, root.state());
        assertEquals(a1, a2);
        assertNotEquals(a1, b);
        assertNotEquals(new Rng(1).nextLong(), a1);
        // Children of different streams are uncorrelated: sample correlation of 1e4 uniforms is ~N(0, 1e-4).
        float[] x = root.fork(0).uniform(10_000, 0, 1), y = root.fork(1).uniform(10_000, 0, 1);
        assertTrue(Math.abs(correlation(x, y)) < 0.05, "fork correlation " + correlation(x, y));
    }

    @Test
    void uniformMoments() {
        // U(-1, 3): mean 1, variance 4²/12. Standard error of the mean sqrt(4/3/1e5) ≈ 0.0037.
        float[] u = new Rng(3).uniform(100_000, -1f, 3f);
        double[] m = moments(u);
        assertEquals(1.0, m[0], 0.02);
        assertEquals(16.0 / 12, m[1], 0.02);
        assertTrue(min(u) >= -1f && max(u) < 3f, "uniform out of range: " + min(u) + " .. " + max(u));
        Rng r = new Rng(4);
        boolean inRange = true;
        for (int i = 0; i < 10_000; i++) {
            float f = r.nextFloat();
            double d = r.nextDouble();
            inRange &= f >= 0 && f < 1 && d >= 0 && d < 1;
        }
        assertTrue(inRange, "nextFloat/nextDouble left [0, 1)");
    }

    @Test
    void normalMoments() {
        // N(2, 0.5²): mean 2 (s.e. 0.0016), variance 0.25 (s.e. 0.25·sqrt(2/1e5) ≈ 0.0011), kurtosis 3.
        float[] x = new Rng(5).normal(100_001, 2f, 0.5f);
        double[] m = moments(x);
        assertEquals(2.0, m[0], 0.008);
        assertEquals(0.25, m[1], 0.006);
        assertEquals(3.0, m[2], 0.1);
    }

    @Test
    void truncatedNormalMomentsMatchTheClosedForm() {
        // N(0, σ²) cut to [a, b] (z-units α = a/σ, β = b/σ, Z = Φ(β) − Φ(α)):
        // mean = σ(φ(α) − φ(β))/Z, var = σ²(1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²).
        // CAE's case ±1σ gives var = σ²·(1 − 2φ(1)/(2Φ(1)−1)) = σ²·0.291125 (φ(1) = 0.2419707, Φ(1) = 0.8413447).
        float sigma = 0.02f;
        float[] x = new Rng(6).truncatedNormal(100_000, sigma, -0.02f, 0.02f);
        assertTrue(min(x) >= -0.02f && max(x) <= 0.02f, "outside the cut: " + min(x) + " .. " + max(x));
        double[] m = moments(x);
        assertEquals(0.0, m[0], 5 * Math.sqrt(0.291125 / 1e5) * sigma);
        assertEquals(0.291125 * sigma * sigma, m[1], 0.02 * 0.291125 * sigma * sigma);

        // An asymmetric cut [-0.5σ, 2σ]: α = -0.5, β = 2, φ(-0.5) = 0.3520653, φ(2) = 0.05399097,
        // Z = Φ(2) − Φ(-0.5) = 0.9772499 − 0.3085375 = 0.6687124.
        double phiA = 0.3520653, phiB = 0.05399097, z = 0.6687124;
        double mean = (phiA - phiB) / z, var = 1 + (-0.5 * phiA - 2 * phiB) / z - mean * mean;
        float[] y = new Rng(7).truncatedNormal(100_000, 1f, -0.5f, 2f);
        double[] my = moments(y);
        assertEquals(mean, my[0], 0.01);
        assertEquals(var, my[1], 0.01);
        assertThrows(IllegalArgumentException.class, () -> new Rng(1).truncatedNormal(4, 1f, 10f, 11f));
    }

    @Test
    void xavierUniformUsesTheGlorotBound() {
        // qkv of width 8 is one [24, 8] matrix: bound sqrt(6/32) (docs/vit.md#initialisation).
        float bound = (float) Math.sqrt(6.0 / 32);
        float[] w = new Rng(8).xavierUniform(24, 8);
        assertEquals(24 * 8, w.length);
        float max = 0;
        for (float v : w) {
            assertTrue(Math.abs(v) <= bound, "outside the bound: " + v);
            max = Math.max(max, Math.abs(v));
        }
        assertTrue(max > 0.95f * bound, "max |w| " + max + " far below the bound " + bound);
        // U(±b) has variance b²/3; for [300, 100], b² = 6/400.
        assertEquals(6.0 / 400 / 3, moments(new Rng(9).xavierUniform(300, 100))[1], 0.02 * 6.0 / 400 / 3);
    }

    @Test
    void permutationIsAPermutationAndUniform() {
        Rng r = new Rng(10);
        int[] p = r.permutation(1000);
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) assertEquals(i, sorted[i]);
        assertFalse(Arrays.equals(p, sorted), "a permutation of 1000 came out sorted");
        assertEquals(0, r.permutation(0).length);
        assertArrayEquals(new int[] {0}, r.permutation(1));
        // Where element 0 lands among 5 slots: 20000 draws, 4000 expected per slot, s.d. ≈ 57.
        int[] where = new int[5];
        for (int t = 0; t < 20_000; t++) {
            int[] q = r.permutation(5);
            for (int i = 0; i < 5; i++) if (q[i] == 0) where[i]++;
        }
        for (int c : where) assertEquals(4000, c, 300, Arrays.toString(where));
    }

    @Test
    void boundedIntsAreUnbiased() {
        Rng r = new Rng(11);
        int[] counts = new int[3];
        for (int i = 0; i < 30_000; i++) counts[r.nextInt(3)]++;
        for (int c : counts) assertEquals(10_000, c, 400, Arrays.toString(counts));
        assertThrows(IllegalArgumentException.class, () -> r.nextInt(0));
    }

    /** {mean, variance (biased), kurtosis} in double. */
    private static double[] moments(float[] x) {
        double s = 0;
        for (float v : x) s += v;
        double mean = s / x.length, m2 = 0, m4 = 0;
        for (float v : x) {
            double d = v - mean;
            m2 += d * d;
            m4 += d * d * d * d;
        }
        m2 /= x.length;
        m4 /= x.length;
        return new double[] {mean, m2, m4 / (m2 * m2)};
    }

    private static float min(float[] x) {
        float m = Float.POSITIVE_INFINITY;
        for (float v : x) m = Math.min(m, v);
        return m;
    }

    private static float max(float[] x) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : x) m = Math.max(m, v);
        return m;
    }

    private static double correlation(float[] x, float[] y) {
        double[] mx = moments(x), my = moments(y);
        double c = 0;
        for (int i = 0; i < x.length; i++) c += (x[i] - mx[0]) * (y[i] - my[0]);
        return c / x.length / Math.sqrt(mx[1] * my[1]);
    }
}
