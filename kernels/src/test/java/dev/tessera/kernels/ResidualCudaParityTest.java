package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import org.junit.jupiter.api.Test;

/**
 * residual.cu vs the CPU backend's scaledResidual / scaledResidualBackward: a ViT-B block's residual over 256 samples
 * of 50 tokens (gamma and drop path), and odd shapes with each optional operand left out.
 *
 * <p>The forward and da are the same rounded float operations in the same order on both sides, so their bits must
 * match. gamma's gradient sums 50 rows per sample and 256 samples of |g·a| ≤ 2 in float where the CPU sums in
 * double: 1e-4 relative plus 1e-4 absolute.
 */
class ResidualCudaParityTest extends GpuTest {
    void check(int samples, int rows, int cols, boolean withGamma, boolean withKeep, boolean accumulate) {
        int n = samples * rows * cols;
        float[] x = uniform(151, n, -1f, 1f), a = uniform(152, n, -1f, 1f), g = uniform(153, n, -1f, 1f);
        float[] gamma = uniform(154, cols, -1f, 1f), keep = uniform(155, samples, 0f, 2f), da0 = uniform(156, n, -1f, 1f);
        keep[0] = 0f;                                        // a dropped sample
        String tag = "[" + samples + ", " + rows + ", " + cols + "]" + (withGamma ? " gamma" : "") + (withKeep ? " keep" : "")
                + (accumulate ? " +=" : "") + ": ";
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Buffer cg = withGamma ? GpuTestSupport.put(CPU, gamma) : null, ck = withKeep ? GpuTestSupport.put(CPU, keep) : null;
            Buffer cOut = CPU.allocate(n), cDa = GpuTestSupport.put(CPU, da0), cDg = withGamma ? CPU.allocate(cols) : null;
            CPU.scaledResidual(GpuTestSupport.put(CPU, x), GpuTestSupport.put(CPU, a), cg, ck, samples, rows, cols, cOut);
            CPU.scaledResidualBackward(GpuTestSupport.put(CPU, g), GpuTestSupport.put(CPU, a), cg, ck, samples, rows, cols,
                    cDa, accumulate, cDg);

            Buffer gg = withGamma ? GpuTestSupport.put(gpu, gamma) : null, gk = withKeep ? GpuTestSupport.put(gpu, keep) : null;
            Buffer gOut = gpu.allocate(n), gDa = GpuTestSupport.put(gpu, da0), gDg = withGamma ? gpu.allocate(cols) : null;
            gpu.scaledResidual(GpuTestSupport.put(gpu, x), GpuTestSupport.put(gpu, a), gg, gk, samples, rows, cols, gOut);
            gpu.scaledResidualBackward(GpuTestSupport.put(gpu, g), GpuTestSupport.put(gpu, a), gg, gk, samples, rows, cols,
                    gDa, accumulate, gDg);
            assertArrayEquals(CPU.download(cOut), gpu.download(gOut), tag + "out");
            assertArrayEquals(CPU.download(cDa), gpu.download(gDa), tag + "da");
            if (withGamma) assertClose(tag + "dgamma", CPU.download(cDg), gpu.download(gDg), 1e-4, 1e-4);
        }
    }

    @Test
    void matchesTheCpuBackend() {
        check(256, 50, 768, true, true, false);
        check(256, 50, 768, true, false, true);
        check(3, 7, 45, false, true, true);
        check(1, 9, 100, true, true, false);
    }
}
