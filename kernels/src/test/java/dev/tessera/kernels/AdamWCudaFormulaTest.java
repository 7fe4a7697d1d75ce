package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.cpu.AdamWCpu;
import dev.tessera.engine.backend.cpu.Parallel;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The AdamW kernel promises bit-identical results to AdamWCpu. That rests on two things checkable without a
 * GPU: the host scalars ({@link AdamWCuda#scalars}) and the kernel's operation order. Here the kernel body is
 * replayed in Java — each Java float operation is one IEEE-rounded operation, exactly what adamw.cu's
 * __fmul_rn/__fadd_rn/__fdiv_rn/__fsqrt_rn do — and compared bit for bit with AdamWCpu over several steps.
 * AdamWCudaParityTest then checks the real kernel on a GPU.
 */
class AdamWCudaFormulaTest {

    /** adamw.cu's loop body, operation for operation. */
    static void kernelReplay(float[] p, float[] g, float[] m, float[] v, AdamWStep step) {
        float[] s = AdamWCuda.scalars(step);
        float b1 = s[0], b2 = s[1], omb1 = s[2], omb2 = s[3], eps = s[4], stepSize = s[5], bc2Sqrt = s[6], decay = s[7];
        for (int i = 0; i < p.length; i++) {
            float gi = g[i];
            float mi = b1 * m[i] + omb1 * gi;
            float vi = b2 * v[i] + (omb2 * gi) * gi;
            m[i] = mi;
            v[i] = vi;
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            p[i] = p[i] * decay - (stepSize * mi) / denom;
        }
    }

    @Test
    void kernelOrderIsBitIdenticalToAdamWCpu() {
        Random rnd = new Random(3);
        int n = 10_007;
        float[] p = new float[n], mC = new float[n], vC = new float[n];
        for (int i = 0; i < n; i++) p[i] = (float) rnd.nextGaussian();
        float[] pK = p.clone(), mK = new float[n], vK = new float[n];
        try (Parallel par = new Parallel(1)) {
            for (int t = 1; t <= 5; t++) {
                float[] g = new float[n];
                for (int i = 0; i < n; i++) g[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 4));
                AdamWStep step = new AdamWStep(1.5e-4f * t, 0.9f, 0.95f, 1e-8f, 0.05f, t);
                AdamWCpu.step(par, p, 0, g, 0, mC, 0, vC, 0, n, step);
                kernelReplay(pK, g, mK, vK, step);
                assertArrayEquals(p, pK, "param after step " + t);
                assertArrayEquals(mC, mK, "m after step " + t);
                assertArrayEquals(vC, vK, "v after step " + t);
            }
        }
    }
}
