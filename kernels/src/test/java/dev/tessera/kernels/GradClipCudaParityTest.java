package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import org.junit.jupiter.api.Test;

/**
 * gradclip.cu vs GradClipCpu: a store that is clipped (ViT-B's 86 M gradients at |g| ≤ 0.01, and a small odd n),
 * one that is not (the coefficient would be ≥ 1: the gradients must stay bit-identical), an empty one, and a NaN
 * gradient (norm NaN, gradients untouched), at several block sizes.
 *
 * <p>Tolerance: the norm to 2e-6 relative (float per-thread sums and a tree against chunked double sums); the
 * clipped gradients to the same relative error, since each is one multiplication by the coefficient.
 */
class GradClipCudaParityTest extends GpuTest {
    static final int[] BLOCKS = {32, 256, 1024};

    void check(String tag, float[] g, float maxNorm) {
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Buffer cg = GpuTestSupport.put(CPU, g), cn = CPU.allocate(1);
            CPU.clipGlobalNorm(cg, maxNorm, cn);
            float[] eg = CPU.download(cg);
            float en = CPU.download(cn)[0];
            for (int block : BLOCKS) {
                String t = tag + " n " + g.length + " block " + block + ": ";
                Buffer gg = GpuTestSupport.put(gpu, g), gn = gpu.allocate(1);
                gpu.gradClipKernels().clip(gg, maxNorm, gn, block);
                float an = gpu.download(gn)[0];
                if (Float.isNaN(en)) assertTrue(Float.isNaN(an), t + "norm NaN, got " + an);
                else assertEquals(en, an, 2e-6 * Math.max(en, 1e-30), t + "norm");
                assertClose(t + "gradients", eg, gpu.download(gg), 0, maxNorm < en ? 2e-6 : 0);
            }
        }
    }

    @Test
    void matchesCpu() {
        check("ViT-B clipped", uniform(91, 86_000_000, -0.01f, 0.01f), 1f);
        check("small clipped", uniform(92, 1001, -1f, 1f), 0.5f);
        check("not clipped", uniform(93, 5000, -1f, 1f), 1000f);
        check("empty", new float[0], 1f);
        float[] nan = uniform(94, 300, -1f, 1f);
        nan[17] = Float.NaN;
        check("NaN", nan, 0.1f);
    }
}
