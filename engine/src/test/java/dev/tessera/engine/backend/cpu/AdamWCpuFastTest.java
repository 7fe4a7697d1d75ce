package dev.tessera.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.engine.backend.AdamWStep;
import org.junit.jupiter.api.Test;

/**
 * The Vector API AdamW equals the reference {@link AdamWCpu} bit for bit over several steps (so exact resume and
 * the goldens carry over), on offsets and a length that leave a scalar tail in every chunk, with one thread
 * and with three.
 */
class AdamWCpuFastTest {

    @Test
    void fourStepsEqualTheReferenceBitForBit() {
        int n = 20_011, off = 3;
        for (int threads : new int[] {1, 3}) {
            try (Parallel par = new Parallel(threads)) {
                float[] p0 = LayerNormCpuTest.random(1, n + off, -1, 1), p1 = p0.clone();
                float[] m0 = LayerNormCpuTest.random(2, n + off, -0.1, 0.1), m1 = m0.clone();
                float[] v0 = LayerNormCpuTest.random(3, n + off, 0, 0.01), v1 = v0.clone();
                for (int t = 1; t <= 4; t++) {
                    float[] g = LayerNormCpuTest.random(10 + t, n + off, -2, 2);
                    if (t == 2) java.util.Arrays.fill(g, 100, 200, 0f);          // zero gradients: v may reach 0
                    AdamWStep s = new AdamWStep(1.5e-4f * t, 0.9f, 0.95f, 1e-8f, 0.05f, t);
                    AdamWCpu.step(par, p0, off, g, off, m0, off, v0, off, n, s);
                    AdamWCpuFast.step(par, p1, off, g, off, m1, off, v1, off, n, s);
                    assertArrayEquals(p0, p1, threads + " threads, step " + t + ": parameters");
                    assertArrayEquals(m0, m1, threads + " threads, step " + t + ": first moment");
                    assertArrayEquals(v0, v1, threads + " threads, step " + t + ": second moment");
                }
            }
        }
    }
}
