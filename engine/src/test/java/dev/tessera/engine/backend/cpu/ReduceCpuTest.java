package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.testing.Close.assertClose;

import dev.tessera.engine.backend.ReduceOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * One-axis sum and max over [outer, length, inner] against the column loop written out in double, for the
 * shapes the layers produce: the bias gradient (outer 1, inner = width, long length), per-row sums
 * (inner 1), and mixed ones whose inner axis is split into several strips.
 */
class ReduceCpuTest {
    static final Parallel PAR = new Parallel(2);

    @AfterAll
    static void close() {
        PAR.close();
    }

    @Test
    void sumAndMaxMatchTheColumnLoop() {
        int[][] shapes = {{1, 3328, 768}, {1, 1000, 3}, {37, 50, 1}, {5, 17, 1300}, {256, 37, 128}, {2, 1, 9}};
        for (int[] s : shapes) {
            int outer = s[0], length = s[1], inner = s[2];
            float[] x = LayerNormCpuTest.random(outer * 7L + inner, outer * length * inner + 3, -2, 2);
            float[] es = new float[outer * inner], em = new float[outer * inner];
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    double sum = 0;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int k = 0; k < length; k++) {
                        float v = x[3 + (o * length + k) * inner + i];
                        sum += v;
                        max = Math.max(max, v);
                    }
                    es[o * inner + i] = (float) sum;
                    em[o * inner + i] = max;
                }
            }
            float[] sum = new float[outer * inner + 1], max = new float[outer * inner + 1];
            ReduceCpu.reduce(PAR, ReduceOp.SUM, x, 3, outer, length, inner, sum, 1);
            ReduceCpu.reduce(PAR, ReduceOp.MAX, x, 3, outer, length, inner, max, 1);
            String what = java.util.Arrays.toString(s);
            assertClose("sum " + what, es, java.util.Arrays.copyOfRange(sum, 1, sum.length), 0, 0);
            assertClose("max " + what, em, java.util.Arrays.copyOfRange(max, 1, max.length), 0, 0);
        }
    }

    /** The register-blocked column sums of the fast path against the strip loop, bit for bit, 1 and 2 threads. */
    @Test
    void vectorColumnSumsAreTheStripLoopsBits() {
        int[][] shapes = {{1, 6656, 768}, {1, 6656, 576}, {1, 100, 31}, {1, 7, 33}, {3, 50, 100}, {2, 1, 64}, {1, 12544, 192}};
        try (Parallel one = new Parallel(1)) {
            for (int[] s : shapes) {
                int outer = s[0], length = s[1], inner = s[2];
                float[] x = LayerNormCpuTest.random(length * 3L + inner, outer * length * inner + 5, -3, 3);
                for (Parallel par : new Parallel[] {one, PAR}) {
                    float[] want = new float[outer * inner + 2], got = new float[outer * inner + 2];
                    ReduceCpu.reduce(par, ReduceOp.SUM, x, 5, outer, length, inner, want, 2, false);
                    ReduceCpu.reduce(par, ReduceOp.SUM, x, 5, outer, length, inner, got, 2, true);
                    assertClose("sum " + java.util.Arrays.toString(s) + " on " + par.threads() + " threads", want, got, 0, 0);
                }
            }
        }
    }
}
