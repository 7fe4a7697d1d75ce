package dev.tessera.cae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.cae.CaeMaskGenerator.Kind;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class CaeMaskGeneratorTest {

    /**
     * docs/cae.md#checks: exactly M for 10⁵ draws at several M, and every masked cell lies in a drawn rectangle whose
     * sides are both at most G − 1. The rectangles are read off the random calls: each placement attempt
     * asks randint(0, G − h) and randint(0, G − w), i.e. an int below G − h + 1, then G − w + 1.
     */
    @Test
    void blockMaskingReturnsExactlyMAndBlocksNeverSpanTheGrid() {
        int[][] cases = {{14, 98}, {14, 75}, {14, 50}, {7, 24}};
        for (int[] c : cases) {
            int g = c[0], m = c[1];
            CaeMaskGenerator gen = new CaeMaskGenerator(Kind.BLOCK, g, m);
            Recording rng = new Recording(new SplittableRandom(1000 + m));
            int maxSide = 0;
            for (int draw = 0; draw < 100_000; draw++) {
                rng.ints.clear();
                boolean[] mask = gen.next(rng);
                int count = 0;
                for (boolean b : mask) if (b) count++;
                if (count != m) fail("G=" + g + " M=" + m + " draw " + draw + ": " + count + " masked");
                boolean[] covered = new boolean[g * g];
                for (int a = 0; a + 1 < rng.ints.size(); a += 2) {
                    int[] top = rng.ints.get(a), left = rng.ints.get(a + 1);
                    int h = g + 1 - top[1], w = g + 1 - left[1];
                    if (h < 1 || w < 1 || h > g - 1 || w > g - 1) fail("G=" + g + ": a " + h + "×" + w + " block was tried");
                    maxSide = Math.max(maxSide, Math.max(h, w));
                    for (int i = top[0]; i < top[0] + h; i++) for (int j = left[0]; j < left[0] + w; j++) covered[i * g + j] = true;
                }
                if (rng.ints.size() % 2 != 0) fail("unpaired randint calls");
                for (int i = 0; i < g * g; i++) if (mask[i] && !covered[i]) fail("cell " + i + " masked outside every block");
            }
            assertTrue(maxSide >= g / 2, "G=" + g + ": largest block side only " + maxSide);
        }
    }

    @Test
    void defaultsScaleWithTheGrid() {
        assertEquals(98, CaeMaskGenerator.defaultNumMasked(196));
        assertEquals(24, CaeMaskGenerator.defaultNumMasked(49)); // Python round(24.5) = 24 (half to even)
        assertEquals(128, CaeMaskGenerator.defaultNumMasked(256));
        assertEquals(16, CaeMaskGenerator.defaultMinNumPatches(196));
        assertEquals(4, CaeMaskGenerator.defaultMinNumPatches(49));
    }

    @Test
    void sameSeedSameMaskDifferentSeedDifferentMask() {
        for (Kind kind : Kind.values()) {
            CaeMaskGenerator gen = new CaeMaskGenerator(kind, 14, 98);
            SplittableRandom a = new SplittableRandom(7), b = new SplittableRandom(7), c = new SplittableRandom(8);
            boolean anyDifferent = false;
            for (int i = 0; i < 20; i++) {
                boolean[] ma = gen.next(a), mb = gen.next(b), mc = gen.next(c);
                assertArrayEquals(ma, mb, kind + " draw " + i);
                anyDifferent |= !Arrays.equals(ma, mc);
            }
            assertTrue(anyDifferent, kind + ": seeds 7 and 8 gave the same 20 masks");
        }
    }

    /**
     * The algorithm step by step on a scripted random source, traced by hand. Round 2 asks for area 6.25 at
     * aspect 1: √6.25 = 2.5 rounds to 2 under Python's half-to-even rule (2×2 = 4 cells fits the budget of 4);
     * Math.round would give 3×3 = 9 and reject it, and the script would run dry. randint(0, 14 − h) is an int
     * below 15 − h.
     */
    @Test
    void followsTheOfficialAlgorithmOnAScriptedSource() {
        CaeMaskGenerator gen = new CaeMaskGenerator(Kind.BLOCK, 14, 14, 20, 16, 20, 0.3);
        Scripted rng = new Scripted(
                new double[] {0.5, 0.5,          // round 1: area 16+4·0.5 = 18, aspect 1 → 4×4
                              0.8125, 0.5,       // round 2, attempt 1: area 16−12·0.8125 = 6.25 → 2×2 inside block 1: 0 new
                              0.8125, 0.5},      // round 2, attempt 2: 2×2 again, now at (0,0): 4 new
                new int[] {2, 3, 3, 4, 0, 0});
        boolean[] mask = gen.next(rng);
        // Bounds 11 for h = w = 4, then 13 for h = w = 2.
        assertEquals(List.of(11, 11, 13, 13, 13, 13), rng.bounds);
        boolean[] expected = new boolean[196];
        for (int i = 2; i < 6; i++) for (int j = 3; j < 7; j++) expected[i * 14 + j] = true;
        for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) expected[i * 14 + j] = true;
        assertArrayEquals(expected, mask);
        assertTrue(rng.exhausted());
    }

    /** Full-side rejection (h = G), over-budget rejection, and uniform(a, b) with b < a, on a 4×4 grid. */
    @Test
    void rejectsFullSideAndOverBudgetBlocks() {
        CaeMaskGenerator gen = new CaeMaskGenerator(Kind.BLOCK, 4, 4, 3, 4, 3, 0.3);
        Scripted rng = new Scripted(
                new double[] {0.0, 0.999999,     // area 4, aspect ≈ 3.33: h = rint(3.65) = 4 = G → rejected, no ints drawn
                              0.75, 0.5,         // area 4 − 0.75 = 3.25, aspect 1: 2×2 = 4 new > budget 3 → rejected
                              0.8, 0.0},         // area 3.2, aspect 0.3: h = rint(0.98) = 1, w = rint(3.27) = 3
                new int[] {0, 0, 3, 1});
        boolean[] mask = gen.next(rng);
        assertEquals(List.of(3, 3, 4, 2), rng.bounds);
        boolean[] expected = new boolean[16];
        expected[13] = expected[14] = expected[15] = true;
        assertArrayEquals(expected, mask);
        assertTrue(rng.exhausted());
    }

    @Test
    void randomMaskingIsExactAndUniform() {
        CaeMaskGenerator gen = new CaeMaskGenerator(Kind.RANDOM, 7, 24);
        SplittableRandom rng = new SplittableRandom(3);
        int draws = 20_000;
        int[] hits = new int[49];
        for (int d = 0; d < draws; d++) {
            boolean[] m = gen.next(rng);
            int count = 0;
            for (int i = 0; i < 49; i++) if (m[i]) { count++; hits[i]++; }
            assertEquals(24, count);
        }
        // Each cell is masked with probability 24/49; binomial sd over 20000 draws ≈ 70.7. Allow 5 sd.
        double p = 24.0 / 49, mean = draws * p, sd = Math.sqrt(draws * p * (1 - p));
        for (int i = 0; i < 49; i++) assertTrue(Math.abs(hits[i] - mean) < 5 * sd, "cell " + i + ": " + hits[i]);
    }

    @Test
    void rejectsImpossibleSettings() {
        assertFalse(tryMake(14, 196));
        assertFalse(tryMake(14, 0));
        assertTrue(tryMake(14, 195));
    }

    private static boolean tryMake(int g, int m) {
        try {
            new CaeMaskGenerator(Kind.BLOCK, g, m);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A random source that replays given doubles and ints and records the int bounds asked for. */
    private static final class Scripted implements RandomGenerator {
        final ArrayDeque<Double> doubles = new ArrayDeque<>();
        final ArrayDeque<Integer> ints = new ArrayDeque<>();
        final List<Integer> bounds = new java.util.ArrayList<>();

        Scripted(double[] d, int[] i) {
            for (double x : d) doubles.add(x);
            for (int x : i) ints.add(x);
        }

        boolean exhausted() {
            return doubles.isEmpty() && ints.isEmpty();
        }

        @Override
        public double nextDouble() {
            if (doubles.isEmpty()) fail("script ran out of doubles");
            return doubles.poll();
        }

        @Override
        public int nextInt(int bound) {
            if (ints.isEmpty()) fail("script ran out of ints");
            bounds.add(bound);
            int v = ints.poll();
            assertTrue(v >= 0 && v < bound, v + " outside [0, " + bound + ")");
            return v;
        }

        @Override
        public int nextInt(int origin, int bound) {
            return origin + nextInt(bound - origin);
        }

        @Override
        public long nextLong() {
            throw new AssertionError("the generator must use only nextDouble and nextInt");
        }
    }

    /** Passes draws through and records every bounded int as {value, bound}. */
    private static final class Recording implements RandomGenerator {
        final RandomGenerator inner;
        final List<int[]> ints = new java.util.ArrayList<>();

        Recording(RandomGenerator inner) {
            this.inner = inner;
        }

        @Override
        public double nextDouble() {
            return inner.nextDouble();
        }

        @Override
        public int nextInt(int bound) {
            int v = inner.nextInt(bound);
            ints.add(new int[] {v, bound});
            return v;
        }

        @Override
        public int nextInt(int origin, int bound) {
            return origin + nextInt(bound - origin);
        }

        @Override
        public long nextLong() {
            return inner.nextLong();
        }
    }
}
