package dev.tessera.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.engine.backend.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packed vector SGEMM against the scalar oracle and against an exact (double) reference.
 *
 * <p>Tolerance, per element: {@code |got − exact| ≤ 1e-6 + (k + 2)·2⁻²³·(|α|·Σ_p |a_ip||b_pj| + |β·c_ij|)}.
 * That is the textbook forward-error bound for a length-k dot product (Higham, "Accuracy and Stability of
 * Numerical Algorithms", §3.1: |error| ≤ γ_k·Σ|a||b| with γ_k ≈ k·u, u = 2⁻²⁴) with a factor 2 of slack for
 * the α/β scaling and the k-slab partial sums. It scales with the magnitudes involved, so it holds for any
 * k; random data sits far inside it (errors grow like √k·u in practice). Vector and scalar are each checked
 * against the exact value, so they agree with each other within twice the bound.
 */
class SgemmTest {

    private static final Parallel ONE = new Parallel(1), TWO = new Parallel(2), FIVE = new Parallel(5);

    @AfterAll
    static void closePools() {
        ONE.close();
        TWO.close();
        FIVE.close();
    }

    /** One problem: shapes, transposes, batching and scaling. Offsets are non-zero to test the index math. */
    record Case(int batch, int m, int n, int k, boolean transA, boolean transB,
                int aBatchStride, int bBatchStride, float alpha, float beta) {
        static Case of(int m, int n, int k, boolean ta, boolean tb) {
            return new Case(1, m, n, k, ta, tb, 0, 0, 1f, 0f);
        }

        @Override
        public String toString() {
            return "batch=" + batch + " " + m + "x" + n + "x" + k + (transA ? " Aᵀ" : "") + (transB ? " Bᵀ" : "")
                    + " strides=" + aBatchStride + "/" + bBatchStride + " α=" + alpha + " β=" + beta;
        }
    }

    static Stream<Case> cases() {
        List<Case> cs = new ArrayList<>();
        int[][] shapes = {
            {1, 1, 1}, {7, 5, 3}, {6, 32, 256}, {6, 16, 8}, {33, 65, 17}, {13, 97, 300},
            {150, 70, 513},        // crosses MC (144) and two k-slabs
            {40, 50, 1100},        // three k-slabs
            {197, 64, 197},        // attention P·V shape (ViT-S head)
            {197, 197, 64},        // attention Q·Kᵀ shape
            {61, 384, 200},        // a ViT-S linear slice with m not a multiple of 6
            {5, 2100, 40},         // crosses NC (2048)
        };
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) cs.add(Case.of(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
        }
        // A ViT-like linear shape (fc1-ish, reduced): one larger problem per transpose combination.
        for (int t = 0; t < 4; t++) cs.add(Case.of(197, 384, 520, (t & 1) != 0, (t & 2) != 0));
        // alpha / beta variants, including beta = 0 with a non-unit alpha and C-accumulation (beta = 1).
        float[][] ab = {{0.5f, 0f}, {1f, 1f}, {-2f, 0.25f}, {0f, 1f}, {1.5f, -1f}};
        for (float[] x : ab) {
            cs.add(new Case(1, 37, 45, 290, false, false, 0, 0, x[0], x[1]));
            cs.add(new Case(1, 12, 64, 64, true, true, 0, 0, x[0], x[1]));
        }
        // Batches: per-sample A with a shared B (stride 0: a linear layer's weight), shared A, both strided,
        // and batch counts that take the over-batch split (8) and the inside-GEMM split (3, 5) with 2 threads.
        cs.add(new Case(3, 20, 40, 50, false, false, 20 * 50, 0, 1f, 0f));
        cs.add(new Case(5, 20, 40, 50, false, true, 0, 40 * 50, 1f, 0.5f));
        cs.add(new Case(8, 33, 31, 29, true, false, 33 * 29, 29 * 31, 1f, 1f));
        cs.add(new Case(8, 33, 31, 29, false, false, 33 * 29 + 7, 29 * 31 + 3, -1f, 0f));   // gaps between batches
        cs.add(new Case(12, 50, 64, 50, false, true, 50 * 64, 50 * 64, 0.125f, 0f));      // attention-like
        return cs.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void vectorAndScalarMatchExactProduct(Case t) {
        Problem p = new Problem(t, 42);
        float[] vec = p.c.clone(), sca = p.c.clone(), dispatched = p.c.clone();
        p.run(TWO, vec, true);
        p.run(TWO, sca, false);
        Sgemm.gemm(TWO, t.transA, t.transB, t.batch, t.m, t.n, t.k, t.alpha, p.a, Problem.AO, t.aBatchStride,
                p.b, Problem.BO, t.bBatchStride, t.beta, dispatched, Problem.CO);
        p.check("vector", vec);
        p.check("scalar", sca);
        p.check("dispatch", dispatched);
    }

    @Test
    void betaZeroIgnoresNaNInC() {
        for (boolean vector : new boolean[] {true, false}) {
            for (int[] s : new int[][] {{7, 5, 3}, {37, 70, 300}}) {
                Case t = new Case(2, s[0], s[1], s[2], false, true, s[0] * s[2], 0, 1.5f, 0f);
                Problem p = new Problem(t, 7);
                float[] c = p.c.clone();
                java.util.Arrays.fill(c, Problem.CO, Problem.CO + t.batch * t.m * t.n, Float.NaN);
                p.run(TWO, c, vector);
                for (int i = 0; i < t.batch * t.m * t.n; i++) {
                    assertFalse(Float.isNaN(c[Problem.CO + i]), (vector ? "vector" : "scalar") + " NaN leaked at " + i);
                }
                p.check(vector ? "vector" : "scalar", c);
            }
        }
    }

    @Test
    void resultIsBitIdenticalForAnyThreadCount() {
        for (Case t : List.of(Case.of(197, 384, 520, false, false), Case.of(150, 70, 1100, true, true),
                new Case(8, 33, 31, 29, false, true, 33 * 29, 0, 1f, 0.5f),
                new Case(3, 100, 130, 300, true, false, 0, 300 * 130, 1f, 1f))) {
            Problem p = new Problem(t, 3);
            float[] one = p.c.clone(), two = p.c.clone(), five = p.c.clone();
            p.run(ONE, one, true);
            p.run(TWO, two, true);
            p.run(FIVE, five, true);
            assertArrayEquals(one, two, "1 vs 2 threads: " + t);
            assertArrayEquals(one, five, "1 vs 5 threads: " + t);
        }
    }

    /**
     * A transposed A is packed into interleaved slivers, a plain A into row-major ones; the kernel reads either
     * through strides, so a TN product equals the NN product of the explicitly transposed matrix bit for bit
     * (shapes: partial last sliver, several MC blocks, several k-slabs, weight-gradient-like k = 400 rows).
     */
    @Test
    void transposedAGivesTheSameBitsAsTheTransposedCopy() {
        SplittableRandom r = new SplittableRandom(5);
        for (int[] s : new int[][] {{7, 40, 9}, {61, 70, 300}, {150, 33, 513}, {296, 64, 400}}) {
            int m = s[0], n = s[1], k = s[2];
            float[] at = random(r, k * m), b = random(r, k * n), a = new float[m * k];
            for (int p = 0; p < k; p++) {
                for (int i = 0; i < m; i++) a[i * k + p] = at[p * m + i];
            }
            for (Parallel par : new Parallel[] {ONE, TWO}) {
                for (float beta : new float[] {0f, 1f}) {
                    float[] c0 = random(new SplittableRandom(m), m * n), tn = c0.clone(), nn = c0.clone();
                    Sgemm.vector(par, true, false, 1, m, n, k, 0.75f, at, 0, 0, b, 0, 0, beta, tn, 0);
                    Sgemm.vector(par, false, false, 1, m, n, k, 0.75f, a, 0, 0, b, 0, 0, beta, nn, 0);
                    assertArrayEquals(nn, tn, m + "x" + n + "x" + k + ", " + par.threads() + " threads, beta " + beta);
                }
            }
        }
    }

    @Test
    void backendMatmulIsBitIdenticalWithOneAndTwoThreads() {
        int m = 3152 / 8, n = 576, k = 192;   // a ViT-Tiny qkv projection on 2 images
        SplittableRandom r = new SplittableRandom(11);
        float[] a = random(r, m * k), b = random(r, k * n);
        float[][] out = new float[2][];
        for (int threads = 1; threads <= 2; threads++) {
            try (CpuBackend be = new CpuBackend(threads)) {
                Buffer ab = be.allocate(a.length), bb = be.allocate(b.length), cb = be.allocate(m * n);
                be.upload(a, ab);
                be.upload(b, bb);
                be.matmul(false, false, 1, m, n, k, 1f, ab, 0, bb, 0, 0f, cb);
                out[threads - 1] = be.download(cb);
            }
        }
        assertArrayEquals(out[0], out[1]);
    }

    @Test
    void gridSplitsTheLongerSideIntoSquareishBlocks() {
        assertArrayEquals(new int[] {2, 1}, Sgemm.grid(2, 3152, 576));
        assertArrayEquals(new int[] {1, 2}, Sgemm.grid(2, 64, 2048));
        assertArrayEquals(new int[] {1, 1}, Sgemm.grid(2, 1, 1));       // one tile: nothing to split
        int[] g = Sgemm.grid(16, 3152, 1536);
        assertEquals(16, g[0] * g[1]);
        assertTrue(g[0] > 1 && g[1] > 1, "16 tasks on a 3152x1536 C should cut both ways");
    }

    // ---------------------------------------------------------------- helpers

    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    /** Random operands laid out as the Backend contract describes, plus an exact reference. */
    private static final class Problem {
        static final int AO = 3, BO = 5, CO = 2;
        final Case t;
        final float[] a, b, c;

        Problem(Case t, long seed) {
            this.t = t;
            SplittableRandom r = new SplittableRandom(seed);
            a = random(r, AO + (t.batch - 1) * t.aBatchStride + t.m * t.k);
            b = random(r, BO + (t.batch - 1) * t.bBatchStride + t.k * t.n);
            c = random(r, CO + t.batch * t.m * t.n + 4);
        }

        void run(Parallel par, float[] out, boolean vector) {
            if (vector) {
                Sgemm.vector(par, t.transA, t.transB, t.batch, t.m, t.n, t.k, t.alpha, a, AO, t.aBatchStride,
                        b, BO, t.bBatchStride, t.beta, out, CO);
            } else {
                Sgemm.scalar(par, t.transA, t.transB, t.batch, t.m, t.n, t.k, t.alpha, a, AO, t.aBatchStride,
                        b, BO, t.bBatchStride, t.beta, out, CO);
            }
        }

        float a(int bi, int i, int p) {
            return t.transA ? a[AO + bi * t.aBatchStride + p * t.m + i] : a[AO + bi * t.aBatchStride + i * t.k + p];
        }

        float b(int bi, int p, int j) {
            return t.transB ? b[BO + bi * t.bBatchStride + j * t.k + p] : b[BO + bi * t.bBatchStride + p * t.n + j];
        }

        void check(String what, float[] got) {
            double unit = Math.ulp(1f);   // 2^-23
            for (int bi = 0; bi < t.batch; bi++) {
                for (int i = 0; i < t.m; i++) {
                    for (int j = 0; j < t.n; j++) {
                        double dot = 0, mag = 0;
                        for (int p = 0; p < t.k; p++) {
                            double x = (double) a(bi, i, p) * b(bi, p, j);
                            dot += x;
                            mag += Math.abs(x);
                        }
                        int ci = CO + (bi * t.m + i) * t.n + j;
                        double old = t.beta == 0f ? 0 : (double) t.beta * c[ci];
                        double exact = t.alpha * dot + old;
                        double tol = 1e-6 + (t.k + 2) * unit * (Math.abs(t.alpha) * mag + Math.abs(old));
                        if (!(Math.abs(got[ci] - exact) <= tol)) {
                            fail(what + " " + t + ": C[" + bi + "][" + i + "][" + j + "] = " + got[ci]
                                    + ", exact " + exact + ", |diff| " + Math.abs(got[ci] - exact) + " > tol " + tol);
                        }
                    }
                }
            }
            // Elements outside C (before CO and after the last batch) must be untouched.
            for (int i = 0; i < CO; i++) assertEquals(c[i], got[i], what + " wrote before C");
            for (int i = CO + t.batch * t.m * t.n; i < c.length; i++) assertEquals(c[i], got[i], what + " wrote past C");
        }
    }
}
