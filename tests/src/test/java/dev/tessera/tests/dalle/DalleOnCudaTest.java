package dev.tessera.tests.dalle;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.ops.Conv2dOp;
import dev.tessera.engine.ops.MaxPool2dOp;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.CudaProbe;
import dev.tessera.kernels.CudaStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * conv2d and max-pool on the CUDA backend: they are built from backend primitives (strided copy, batched GEMM,
 * reductions, argmax, gather/scatter), so the GPU runs the same code path. The DALL-E golden must match PyTorch there
 * too, and a conv → pool chain must give the CPU's gradients. Skipped, with the probe's reason, without a CUDA device.
 */
@Tag("gpu")
class DalleOnCudaTest {
    static CudaBackend gpu;

    @BeforeAll
    static void start() {
        CudaStatus s = CudaProbe.probe();
        if (s.available()) gpu = new CudaBackend(0);
        else System.out.println("[gpu] skipped: no CUDA device: " + s.reason());
    }

    @BeforeEach
    void requireGpu() {
        assumeTrue(gpu != null, () -> "skipped: no CUDA device: " + CudaProbe.probe().reason());
    }

    @AfterAll
    static void stop() {
        if (gpu != null) gpu.close();
        gpu = null;
    }

    @Test
    void dalleEncoderMatchesPyTorchOnTheGpu() throws Exception {
        DalleEncoderGoldenTest.check(gpu);
    }

    /** Gradients of Σ R·pool(conv(x)) for x, w, b on one backend. */
    static float[][] gradients(Backend be, float[] x, float[] w, float[] b, float[] r) {
        Tensor tx = Tensor.of(be, x, 2, 3, 9, 8).requiresGrad(true), tw = Tensor.of(be, w, 5, 3, 3, 3).requiresGrad(true);
        Tensor tb = Tensor.of(be, b, 5).requiresGrad(true);
        Tensor y = MaxPool2dOp.maxPool2d(Conv2dOp.conv2d(tx, tw, tb, 1, 1), 2);          // [2, 5, 4, 4]
        y.mul(Tensor.of(be, r, 2, 5, 4, 4)).sum().backward();
        return new float[][] {y.toArray(), tx.grad().toArray(), tw.grad().toArray(), tb.grad().toArray()};
    }

    @Test
    void convAndPoolGradientsMatchTheCpu() {
        Rng rng = new Rng(11);
        float[] x = rng.uniform(2 * 3 * 9 * 8, -1, 1), w = rng.uniform(5 * 27, -0.5f, 0.5f), b = rng.uniform(5, -0.5f, 0.5f);
        float[] r = rng.uniform(2 * 5 * 16, -1, 1);
        float[][] cpu;
        try (CpuBackend be = new CpuBackend(2)) {
            cpu = gradients(be, x, w, b, r);
        }
        float[][] cuda = gradients(gpu, x, w, b, r);
        String[] names = {"output", "dx", "dw", "db"};
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < cpu[i].length; k++) {
                float d = Math.abs(cpu[i][k] - cuda[i][k]);
                assertTrue(d <= 1e-4f * (1 + Math.abs(cpu[i][k])), names[i] + "[" + k + "]: CPU " + cpu[i][k] + ", CUDA " + cuda[i][k]);
            }
        }
    }
}
