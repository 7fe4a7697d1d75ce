package dev.tessera.engine.ops;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Reductions on a [2, 3, 4] tensor against plain loops over its multi-index. */
class ReduceTest {
    final Backend be = Backends.cpu();
    static final int A = 2, B = 3, C = 4;

    /** Σ (or mean) over the axes flagged in {@code reduce}, result in kept-dims row-major order. */
    static float[] naive(float[] x, boolean[] reduce, boolean mean) {
        int[] dims = {A, B, C};
        int[] out = new int[3];
        for (int d = 0; d < 3; d++) out[d] = reduce[d] ? 1 : dims[d];
        double[] acc = new double[out[0] * out[1] * out[2]];
        int count = 1;
        for (int d = 0; d < 3; d++) if (reduce[d]) count *= dims[d];
        for (int i = 0; i < A; i++)
            for (int j = 0; j < B; j++)
                for (int k = 0; k < C; k++) {
                    int oi = reduce[0] ? 0 : i, oj = reduce[1] ? 0 : j, ok = reduce[2] ? 0 : k;
                    acc[(oi * out[1] + oj) * out[2] + ok] += x[(i * B + j) * C + k];
                }
        float[] r = new float[acc.length];
        for (int i = 0; i < r.length; i++) r[i] = (float) (mean ? acc[i] / count : acc[i]);
        return r;
    }

    @Test
    void sumAndMeanOverSeveralAxes() {
        Tensor x = GradCheck.random(be, 1, -1f, 1f, A, B, C);
        float[] xv = x.toArray();
        int[][] axesSets = {{0}, {1}, {-1}, {0, 2}, {1, 2}, {0, 1, 2}};
        for (int[] axes : axesSets) {
            boolean[] r = new boolean[3];
            for (int a : axes) r[a < 0 ? a + 3 : a] = true;
            String name = java.util.Arrays.toString(axes);
            for (boolean keep : new boolean[] {true, false}) {
                Tensor s = x.sum(axes, keep), m = x.mean(axes, keep);
                int kept = 0;
                for (boolean f : r) if (!f) kept++;
                assertEquals(keep ? 3 : kept, s.rank(), "rank of sum " + name);
                assertClose("sum " + name, naive(xv, r, false), s.toArray(), 1e-6, 1e-6);
                assertClose("mean " + name, naive(xv, r, true), m.toArray(), 1e-6, 1e-6);
                GradCheck.check("sum " + name + " keepDim=" + keep, t -> t[0].sum(axes, keep), x);
                GradCheck.check("mean " + name + " keepDim=" + keep, t -> t[0].mean(axes, keep), x);
            }
        }
        double total = 0;
        for (float v : xv) total += v;
        assertEquals(total, x.sum().item(), 1e-5);
        assertEquals(total / xv.length, x.mean().item(), 1e-6);
        assertArrayEquals(new int[0], x.sum().shape());
        GradCheck.check("sum of strided", t -> t[0].transpose(0, 2).sum(new int[] {1}, false), x);
        ShapeException e = assertThrows(ShapeException.class, () -> x.sum(new int[] {1, -2}, false));
        assertTrue(e.getMessage().contains("sum"), e.getMessage());
    }

    @Test
    void varianceBiasedAndUnbiased() {
        Tensor x = GradCheck.random(be, 2, -1f, 1f, A, B, C);
        float[] xv = x.toArray();
        // Over the last axis, by hand in double.
        float[] unb = new float[A * B], bia = new float[A * B];
        for (int r = 0; r < A * B; r++) {
            double mu = 0, ss = 0;
            for (int k = 0; k < C; k++) mu += xv[r * C + k];
            mu /= C;
            for (int k = 0; k < C; k++) ss += (xv[r * C + k] - mu) * (xv[r * C + k] - mu);
            unb[r] = (float) (ss / (C - 1));
            bia[r] = (float) (ss / C);
        }
        assertClose("var unbiased", unb, x.var(new int[] {-1}, true, false).toArray(), 1e-6, 1e-5);
        Tensor kept = x.var(new int[] {2}, false, true);
        assertArrayEquals(new int[] {A, B, 1}, kept.shape());
        assertClose("var biased", bia, kept.toArray(), 1e-6, 1e-5);
        // Over axes {0, 2}: 8 values per middle index.
        float[] v02 = new float[B];
        for (int j = 0; j < B; j++) {
            double mu = 0, ss = 0;
            for (int i = 0; i < A; i++) for (int k = 0; k < C; k++) mu += xv[(i * B + j) * C + k];
            mu /= A * C;
            for (int i = 0; i < A; i++) for (int k = 0; k < C; k++) ss += Math.pow(xv[(i * B + j) * C + k] - mu, 2);
            v02[j] = (float) (ss / (A * C - 1));
        }
        assertClose("var {0,2}", v02, x.var(new int[] {0, 2}, true, false).toArray(), 1e-6, 1e-5);
        GradCheck.check("var unbiased", t -> t[0].var(new int[] {-1}, true, true), x);
        GradCheck.check("var biased {0,2}", t -> t[0].var(new int[] {0, 2}, false, false), x);
        assertTrue(Float.isNaN(Tensor.of(be, new float[] {3f}, 1).var(new int[] {0}, true, false).item()),
                "unbiased variance of one value is 0/0");
    }

    /** Distinct values 0.1 apart (a shuffled 0..23), so a ±h probe never changes the argmax. */
    Tensor separated(long seed) {
        int n = A * B * C;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.1f * i - 1f;
        Random rnd = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.of(be, v, A, B, C).requiresGrad(true);
    }

    @Test
    void maxAndArgmaxAlongEachAxis() {
        Tensor x = separated(3);
        float[] xv = x.toArray();
        int[] dims = {A, B, C};
        for (int axis = 0; axis < 3; axis++) {
            int[] outDims = dims.clone();
            outDims[axis] = 1;
            float[] m = new float[outDims[0] * outDims[1] * outDims[2]];
            int[] am = new int[m.length];
            java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < A; i++)
                for (int j = 0; j < B; j++)
                    for (int k = 0; k < C; k++) {
                        int[] idx = {i, j, k};
                        int along = idx[axis];
                        idx[axis] = 0;
                        int o = (idx[0] * outDims[1] + idx[1]) * outDims[2] + idx[2];
                        float v = xv[(i * B + j) * C + k];
                        if (v > m[o]) {
                            m[o] = v;
                            am[o] = along;
                        }
                    }
            int a = axis;
            Tensor kept = x.max(axis, true);
            assertArrayEquals(outDims, kept.shape());
            assertClose("max axis " + axis, m, kept.toArray(), 0, 0);
            assertEquals(2, x.max(axis, false).rank());
            Tensor idx = x.argmax(axis);
            assertTrue(idx.isInt());
            assertEquals(2, idx.rank());
            assertArrayEquals(am, idx.toIntArray(), "argmax axis " + axis);
            GradCheck.check("max axis " + axis, t -> t[0].max(a, false), x);
            GradCheck.check("max keepDim axis " + axis, t -> t[0].max(a, true), x);
        }
        GradCheck.check("max of strided", t -> t[0].transpose(0, 2).max(1, false), x);
    }

    @Test
    void maxRoutesTheGradientToTheFirstTie() {
        Tensor x = Tensor.of(be, new float[] {1, 3, 3, 2, 2, 0}, 2, 3).requiresGrad(true);
        Tensor m = x.max(1, false);
        assertClose("max", new float[] {3, 2}, m.toArray(), 0, 0);
        m.mul(Tensor.of(be, new float[] {5, 7}, 2)).sum().backward();
        assertClose("d max", new float[] {0, 5, 0, 7, 0, 0}, x.grad().toArray(), 0, 0);
        assertArrayEquals(new int[] {1, 0}, x.argmax(1).toIntArray());
        assertArrayEquals(new int[] {1, 0, 0}, x.argmax(0).toIntArray());
        ShapeException e = assertThrows(ShapeException.class, () -> Tensor.zeros(be, 2, 0).max(1, false));
        assertTrue(e.getMessage().contains("max") && e.getMessage().contains("[2, 0]"), e.getMessage());
    }
}
