package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.kernels.GpuTestSupport.Pair;

import org.junit.jupiter.api.Test;

/**
 * adamw.cu vs AdamWCpu over five consecutive steps, n = 1, 1000 and 1,000,003 (not a multiple of any block),
 * block sizes 32…1024, with gradients spanning 8 orders of magnitude.
 *
 * <p>Tolerance: zero. The kernel repeats AdamWCpu's float operations in order with explicitly rounded
 * intrinsics (no FMA contraction) and the scalars come from the same Java expressions, so the result is
 * bit-identical; AdamWCudaFormulaTest checks that order on CI without a GPU.
 */
class AdamWCudaParityTest extends GpuTest {
    @Test
    void bitIdenticalToCpu() {
        for (int n : new int[] {1, 1000, 1_000_003}) {
            for (int block : new int[] {32, 256, 1024}) {
                try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                    Pair p = Pair.of(gpu, uniform(71, n, -1f, 1f)), m = Pair.zeros(gpu, n), v = Pair.zeros(gpu, n);
                    for (int t = 1; t <= 5; t++) {
                        float[] g = uniform(72 + t, n, -1f, 1f);
                        for (int i = 0; i < n; i += 3) g[i] *= (float) Math.pow(10, (i % 9) - 5);
                        Pair pg = Pair.of(gpu, g);
                        AdamWStep step = new AdamWStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, t);
                        CPU.adamW(p.cpu(), pg.cpu(), m.cpu(), v.cpu(), step);
                        gpu.adamWKernels().step(p.gpu(), pg.gpu(), m.gpu(), v.gpu(), step, block);
                        String tag = "n " + n + " block " + block + " step " + t + " ";
                        assertClose(tag + "param", CPU.download(p.cpu()), gpu.download(p.gpu()), 0, 0);
                        assertClose(tag + "m", CPU.download(m.cpu()), gpu.download(m.gpu()), 0, 0);
                        assertClose(tag + "v", CPU.download(v.cpu()), gpu.download(v.gpu()), 0, 0);
                    }
                }
            }
        }
    }

    /** The non-finite word: clear after finite steps, set (like AdamWCpu's flag) by an overflowing v, cleared by the read. */
    @Test
    void nonFiniteWordAgreesWithCpu() {
        int n = 1000;
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Pair p = Pair.of(gpu, uniform(81, n, -1f, 1f)), m = Pair.zeros(gpu, n), v = Pair.zeros(gpu, n);
            float[] g = uniform(82, n, -1f, 1f);
            AdamWStep step = new AdamWStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, 1);
            Pair pg = Pair.of(gpu, g);
            CPU.adamW(p.cpu(), pg.cpu(), m.cpu(), v.cpu(), step);
            gpu.adamW(p.gpu(), pg.gpu(), m.gpu(), v.gpu(), step);
            assertEquals(false, CPU.adamWNonFinite());
            assertEquals(false, gpu.adamWNonFinite());
            g[617] = 1e30f;                                   // squares to infinity in v
            Pair big = Pair.of(gpu, g);
            AdamWStep step2 = new AdamWStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, 2);
            CPU.adamW(p.cpu(), big.cpu(), m.cpu(), v.cpu(), step2);
            gpu.adamW(p.gpu(), big.gpu(), m.gpu(), v.gpu(), step2);
            assertEquals(true, CPU.adamWNonFinite());
            assertEquals(true, gpu.adamWNonFinite());
            assertEquals(false, gpu.adamWNonFinite(), "the read clears the word");
        }
    }

    /** The ranged kernel (one launch per parameter group) against the CPU's per-range loop: bit-identical as well. */
    @Test
    void rangesBitIdenticalToCpu() {
        int n = 1_000_003;
        int[] table = {900_000, 5, 400_000, 0, 100_003, 300_003, 300_004};   // out of order, with gaps
        for (int block : new int[] {32, 256, 1024}) {
            try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                Pair p = Pair.of(gpu, uniform(75, n, -1f, 1f)), m = Pair.zeros(gpu, n), v = Pair.zeros(gpu, n);
                Pair g = Pair.of(gpu, uniform(76, n, -1f, 1f)), t = Pair.ints(gpu, table);
                Buffer k = gpu.allocate(AdamWStep.SCALARS);
                for (int step = 1; step <= 3; step++) {
                    AdamWStep s = new AdamWStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, step);
                    CPU.adamWRanges(p.cpu(), g.cpu(), m.cpu(), v.cpu(), t.cpu(), 3, s);
                    gpu.adamWScalars(s, k);                   // the constants from the device block, as a graph reads them
                    gpu.adamWKernels().stepRanges(p.gpu(), g.gpu(), m.gpu(), v.gpu(), t.gpu(), 3, k, block);
                }
                String tag = "ranges block " + block + " ";
                assertClose(tag + "param", CPU.download(p.cpu()), gpu.download(p.gpu()), 0, 0);
                assertClose(tag + "m", CPU.download(m.cpu()), gpu.download(m.gpu()), 0, 0);
                assertClose(tag + "v", CPU.download(v.cpu()), gpu.download(v.gpu()), 0, 0);
            }
        }
    }
}
