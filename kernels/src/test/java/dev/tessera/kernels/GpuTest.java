package dev.tessera.kernels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * The lifecycle every GPU test class shares: one {@link CudaBackend} on device 0 per class, or — when CUDA is
 * unusable here — none, with the probe's reason printed once and every test skipped with it
 * ({@link GpuTestSupport#startOrNull}, {@link GpuTestSupport#assumeGpu}).
 */
@Tag("gpu")
abstract class GpuTest {
    static CudaBackend gpu;

    @BeforeAll
    static void startGpu() {
        gpu = GpuTestSupport.startOrNull();
    }

    @BeforeEach
    void requireGpu() {
        GpuTestSupport.assumeGpu(gpu);
    }

    @AfterAll
    static void stopGpu() {
        if (gpu != null) gpu.close();
        gpu = null;
    }
}
