package dev.tessera.kernels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * The lifecycle every GPU test class shares: one {@link CudaBackend} on device 0 per class, or — when CUDA is
 * unusable here — none, with the probe's reason printed once and every test skipped with it
 * ({@link GpuTestSupport#startOrNull}, {@link GpuTestSupport#assumeGpu}).
 *
 * <p>A kernel fault (a sticky error) poisons the context for every later call; so after a test that faulted, the
 * backend is closed — which resets the primary context — and a fresh one started, and the next test fails (or
 * passes) on its own account. With {@code -Dtessera.cuda.sync=true} every launch is synchronized, so the failing
 * test's exception names the kernel that faulted.
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

    @AfterEach
    void restartAfterAFault() {
        gpu = GpuTestSupport.restartIfFaulted(gpu);
    }

    @AfterAll
    static void stopGpu() {
        if (gpu != null) gpu.close();
        gpu = null;
    }
}
