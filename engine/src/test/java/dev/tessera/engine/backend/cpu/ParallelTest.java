package dev.tessera.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * {@link Parallel#forWeighted}: every unit runs once, the split follows the threads' measured speeds, and a
 * GEMM split unevenly that way still has the single-threaded bits. A slow thread is simulated by sleeping
 * (not spinning), so the test does not depend on how fast this machine's cores are.
 */
class ParallelTest {

    /** Per unit: 40 µs on the calling thread, four times that on the pool's thread. */
    private static void slowPoolThread(int from, int to, Thread caller) {
        long perUnit = Thread.currentThread() == caller ? 40_000 : 160_000;
        LockSupport.parkNanos((to - from) * perUnit);
    }

    @Test
    void everyUnitRunsOnceInOrderedChunks() {
        try (Parallel par = new Parallel(3)) {
            for (int units : new int[] {1, 2, 3, 7, 1000}) {
                int[] runs = new int[units];
                par.forWeighted(units, (from, to) -> {
                    assertTrue(from < to, "empty chunk [" + from + ", " + to + ")");
                    synchronized (runs) {
                        for (int u = from; u < to; u++) runs[u]++;
                    }
                });
                for (int u = 0; u < units; u++) assertEquals(1, runs[u], "unit " + u + " of " + units);
            }
        }
    }

    @Test
    void theSplitMovesWorkAwayFromASlowThread() {
        try (Parallel par = new Parallel(2)) {
            assertArrayEquals(new double[] {0.5, 0.5}, par.shares(), 1e-12, "equal before anything was timed");
            Thread caller = Thread.currentThread();
            for (int i = 0; i < 8; i++) par.forWeighted(60, (from, to) -> slowPoolThread(from, to, caller));
            double[] w = par.shares();
            // Ideal: 4/5 for the caller. Sleeps overshoot by tens of µs, so allow a margin.
            assertTrue(w[0] > 0.7 && w[0] < 0.9, "caller's share " + w[0]);
            assertEquals(1.0, w[0] + w[1], 1e-9);
            // And the next split follows it: the caller's chunk is the larger one.
            int[] firstChunk = new int[1];
            par.forWeighted(60, (from, to) -> {
                if (from == 0) firstChunk[0] = to;
            });
            assertTrue(firstChunk[0] >= 40, "caller's chunk " + firstChunk[0] + " of 60");
        }
    }

    @Test
    void aGemmSplitByLearnedSpeedsHasTheSingleThreadedBits() {
        SplittableRandom r = new SplittableRandom(5);
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            Thread caller = Thread.currentThread();
            for (int i = 0; i < 8; i++) two.forWeighted(60, (from, to) -> slowPoolThread(from, to, caller));
            assertTrue(two.shares()[0] > 0.7, "the split must be uneven for this test to mean anything");
            // Column strips (m < n) and row strips (m > n), every transpose combination, bias-free β = 0.5.
            for (int[] s : new int[][] {{60, 1000, 300}, {1000, 70, 300}}) {
                int m = s[0], n = s[1], k = s[2];
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
                    for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
                    for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
                    for (int i = 0; i < c.length; i++) c[i] = (float) r.nextGaussian();
                    float[] want = c.clone(), got = c.clone();
                    Sgemm.gemm(one, ta, tb, 1, m, n, k, 1.25f, a, 0, 0, b, 0, 0, 0.5f, want, 0);
                    Sgemm.gemm(two, ta, tb, 1, m, n, k, 1.25f, a, 0, 0, b, 0, 0, 0.5f, got, 0);
                    assertArrayEquals(want, got, m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb);
                }
            }
        }
    }

    /** A loop started inside a chunk (or by a second thread while one runs) runs on its caller alone, to the end. */
    @Test
    void nestedAndConcurrentLoopsCompleteOnTheirCallers() throws Exception {
        try (Parallel par = new Parallel(3)) {
            int[] inner = new int[3 * 100];
            par.forRange(3, 1, (from, to) -> {
                for (int o = from; o < to; o++) {
                    int base = o * 100;
                    par.forRange(100, 1, (a, b) -> {
                        for (int i = a; i < b; i++) inner[base + i]++;
                    });
                }
            });
            for (int i = 0; i < inner.length; i++) assertEquals(1, inner[i], "nested element " + i);

            long[] sums = new long[4];
            Thread[] callers = new Thread[4];
            for (int t = 0; t < callers.length; t++) {
                int id = t;
                callers[t] = new Thread(() -> {
                    for (int rep = 0; rep < 200; rep++) {
                        long[] part = new long[3];
                        par.forRange(3000, 1, (a, b) -> {
                            long s = 0;
                            for (int i = a; i < b; i++) s += i;
                            synchronized (part) {
                                part[0] += s;
                            }
                        });
                        sums[id] += part[0];
                    }
                });
                callers[t].start();
            }
            for (Thread t : callers) t.join(60_000);
            for (int t = 0; t < sums.length; t++) assertEquals(200L * (2999L * 3000 / 2), sums[t], "caller " + t);
        }
    }

    /** A chunk's failure on a worker reaches the caller as itself, and the team keeps working afterwards. */
    @Test
    void aWorkersFailureReachesTheCaller() {
        try (Parallel par = new Parallel(2)) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> par.forRange(10, 1, (from, to) -> {
                        if (from > 0) throw new IllegalStateException("chunk from " + from + " failed");
                    }));
            assertEquals("chunk from 5 failed", e.getMessage());
            int[] runs = new int[10];
            par.forRange(10, 1, (from, to) -> {
                for (int i = from; i < to; i++) runs[i]++;
            });
            for (int i = 0; i < 10; i++) assertEquals(1, runs[i], "after the failure, element " + i);
        }
    }

    /** Closing the pool ends its worker threads (they park between loops; close must wake and stop them). */
    @Test
    void closeStopsTheWorkers() throws Exception {
        Parallel par = new Parallel(3);
        par.forRange(30, 1, (from, to) -> LockSupport.parkNanos(1_000_000));
        assertTrue(par.workersAlive());
        Thread.sleep(5);   // long enough for the workers to give up spinning and park
        par.close();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline && par.workersAlive()) Thread.sleep(10);
        assertTrue(!par.workersAlive(), "worker threads still alive 10 s after close");
    }
}
