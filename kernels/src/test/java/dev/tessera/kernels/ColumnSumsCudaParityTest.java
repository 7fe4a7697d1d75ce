package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import org.junit.jupiter.api.Test;

/**
 * column_sums.cu vs CpuBackend.addColumnSums: ViT-B's bias gradients (256 × 50 tokens × 768 and × 3072), the
 * decoder's (256 × 197 × 512), widths that are not a multiple of 32, a single row, no rows.
 *
 * <p>Tolerance: each column is a sum of up to 50,432 terms of |x| ≤ 1 in float (32 lanes, then a fixed tree) against
 * the CPU's double sums: atol 2e-3 covers float accumulation error on sums of magnitude ~100, rtol 1e-5 the final add.
 */
class ColumnSumsCudaParityTest extends GpuTest {
    void check(int rows, int cols) {
        float[] x = uniform(101, rows * cols, -1f, 1f), out0 = uniform(102, cols, -1f, 1f);
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Buffer co = GpuTestSupport.put(CPU, out0), go = GpuTestSupport.put(gpu, out0);
            CPU.addColumnSums(GpuTestSupport.put(CPU, x), rows, cols, co);
            gpu.columnSumsKernels().addColumnSums(GpuTestSupport.put(gpu, x), rows, cols, go);
            assertClose("addColumnSums [" + rows + ", " + cols + "]", CPU.download(co), gpu.download(go), 2e-3, 1e-5);
        }
    }

    @Test
    void matchesCpu() {
        check(256 * 50, 768);
        check(256 * 50, 3072);
        check(256 * 197, 512);
        check(1000, 45);
        check(1, 33);
        check(0, 17);
    }
}
