package dev.tessera.tests.golden;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.CudaProbe;
import dev.tessera.kernels.CudaStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole-model parity of the CUDA backend: the MAE and CAE golden cases — forward outputs, losses, every
 * parameter gradient after backward, 5 AdamW steps — run on the GPU against the same PyTorch files and the same
 * tolerances as on the CPU (outputs 1e-5, gradients 1e-4 max-relative). Matching PyTorch on both backends bounds
 * the CPU-vs-CUDA gap of one training step by the sum of the two tolerances. cuBLAS runs in fp32 (TF32 off, the
 * {@code CudaOptions} default). Skipped, with the probe's reason printed, where no CUDA device is usable.
 */
@Tag("gpu")
class GoldenOnCudaTest {
    static CudaBackend gpu;

    @BeforeAll
    static void start() {
        CudaStatus s = CudaProbe.probe();
        if (s.available()) {
            gpu = new CudaBackend(0);
        } else {
            System.out.println("[gpu] skipped: no CUDA device: " + s.reason());
        }
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

    @ParameterizedTest
    @ValueSource(strings = {"mae_p4_pix", "mae_p4_normpix", "mae_p16_normpix"})
    void maeStepMatchesPyTorchOnTheGpu(String caseName) {
        MaeGoldenTest.check(caseName, gpu);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cae_pixels", "cae_tokens"})
    void caeStepMatchesPyTorchOnTheGpu(String caseName) {
        CaeGoldenTest.check(caseName, gpu);
    }
}
