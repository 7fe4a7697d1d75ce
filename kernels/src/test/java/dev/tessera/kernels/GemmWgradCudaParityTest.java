package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import org.junit.jupiter.api.Test;

/**
 * gemm_wgrad_v2/v3 vs the reference composition (Backend.matmulWeightGrad's default on the CPU: the TN GEMM, then
 * the column sums written or added): ViT-B's fc2 and a projection over 256·50 tokens, and an odd shape, each through
 * both tile variants, with the destinations written and added to.
 *
 * <p>Tolerance: sums of 12800 products with |g| ≤ 0.01, |x| ≤ 1 (running sums below ~1) in a different order than the
 * CPU's; the float rounding walk is ~√k·ε·|sum| ≈ 1e-5, so 1e-4 absolute plus 1e-4 relative.
 */
class GemmWgradCudaParityTest extends GpuTest {
    void check(int rows, int n, int k, boolean accumulate) {
        float[] g = uniform(131, rows * n, -0.01f, 0.01f), x = uniform(132, rows * k, -1f, 1f);
        float[] w0 = uniform(133, n * k, -1f, 1f), b0 = uniform(134, n, -1f, 1f);
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Buffer cw = GpuTestSupport.put(CPU, w0), cb = GpuTestSupport.put(CPU, b0);
            CPU.matmulWeightGrad(GpuTestSupport.put(CPU, g), GpuTestSupport.put(CPU, x), rows, n, k, cw, accumulate, cb, accumulate);
            float[] ew = CPU.download(cw), eb = CPU.download(cb);
            Buffer gg = GpuTestSupport.put(gpu, g), gx = GpuTestSupport.put(gpu, x);
            for (GemmCuda.Variant v : new GemmCuda.Variant[] {GemmCuda.Variant.V2_TILED_64, GemmCuda.Variant.V3_TILED_128}) {
                String tag = v + " g [" + rows + ", " + n + "] x [" + rows + ", " + k + "]" + (accumulate ? " +=" : "") + ": ";
                Buffer gw = GpuTestSupport.put(gpu, w0), gb = GpuTestSupport.put(gpu, b0);
                gpu.gemmKernels().weightGrad(v, gg, gx, rows, n, k, gw, accumulate, gb, accumulate);
                assertClose(tag + "dW", ew, gpu.download(gw), 1e-4, 1e-4);
                assertClose(tag + "db", eb, gpu.download(gb), 1e-4, 1e-4);
            }
        }
    }

    @Test
    void matchesTheReferenceComposition() {
        check(256 * 50, 768, 3072, false);
        check(256 * 50, 768, 768, true);
        check(77, 45, 33, false);
        check(77, 45, 33, true);
    }
}
