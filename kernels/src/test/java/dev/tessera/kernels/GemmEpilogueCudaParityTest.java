package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import org.junit.jupiter.api.Test;

/**
 * gemm_epilogue_v2/v3 vs the reference composition (Backend.matmulEpilogue's default on the CPU: bias broadcast,
 * GEMM onto it, GELU): ViT-B's fc1 (256·50 tokens, 768 → 3072, bias and GELU), a projection with a bias (768 → 768),
 * and an odd shape without a bias, each through both tile variants.
 *
 * <p>Tolerance: as GemmCudaParityTest's fp32 products (sums of k terms of |x|·|w| ≤ 1 in a different order), 1e-4
 * relative plus 1e-4 absolute for k = 768; GELU is 1-Lipschitz, so the same bounds hold after it.
 */
class GemmEpilogueCudaParityTest extends GpuTest {
    void check(int m, int n, int k, boolean bias, boolean gelu) {
        float[] x = uniform(121, m * k, -1f, 1f), w = uniform(122, n * k, -0.05f, 0.05f), b = uniform(123, n, -1f, 1f);
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Buffer cPre = gelu ? CPU.allocate(m * n) : null, cOut = CPU.allocate(m * n);
            CPU.matmulEpilogue(GpuTestSupport.put(CPU, x), GpuTestSupport.put(CPU, w), bias ? GpuTestSupport.put(CPU, b) : null,
                    m, n, k, gelu, cPre, cOut);
            float[] ePre = gelu ? CPU.download(cPre) : null, eOut = CPU.download(cOut);
            Buffer gx = GpuTestSupport.put(gpu, x), gw = GpuTestSupport.put(gpu, w), gb = bias ? GpuTestSupport.put(gpu, b) : null;
            for (GemmCuda.Variant v : new GemmCuda.Variant[] {GemmCuda.Variant.V2_TILED_64, GemmCuda.Variant.V3_TILED_128}) {
                String tag = v + " [" + m + ", " + k + "] -> " + n + (bias ? " bias" : "") + (gelu ? " GELU" : "") + ": ";
                Buffer gPre = gelu ? gpu.allocate(m * n) : null, gOut = gpu.allocate(m * n);
                gpu.gemmKernels().epilogue(v, gx, gw, gb, m, n, k, gelu, gPre, gOut);
                if (gelu) assertClose(tag + "pre-activation", ePre, gpu.download(gPre), 1e-4, 1e-4);
                assertClose(tag + "out", eOut, gpu.download(gOut), 1e-4, 1e-4);
            }
        }
    }

    @Test
    void matchesTheReferenceComposition() {
        check(256 * 50, 3072, 768, true, true);
        check(256 * 50, 768, 768, true, false);
        check(77, 45, 33, false, false);
        check(77, 45, 33, true, true);
    }
}
