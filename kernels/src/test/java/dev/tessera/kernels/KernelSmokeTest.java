package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The compute-sanitizer workload (KernelSmoke, run by kernels/gpu-pass.sh) must launch every kernel in the fatbin:
 * checked on the recording driver, against the kernel list parsed from the sources. KernelTimings runs there too
 * (its events take no time on the recording driver), so the entry point cannot rot before a GPU sees it.
 */
class KernelSmokeTest {

    @Test
    void theSmokeRunLaunchesEveryKernel() throws IOException {
        try (LaunchCensus census = LaunchCensus.start()) {
            KernelSmoke.run(census.backend());
            TreeSet<String> missing = new TreeSet<>(KernelAbiTest.signatures().keySet());
            missing.removeAll(census.counts().launches().keySet());
            assertEquals(new TreeSet<String>(), missing, "kernels KernelSmoke never launches");
        }
    }

    @Test
    void timingsRunOnTheRecordingDriver() {
        try (LaunchCensus census = LaunchCensus.start()) {
            KernelTimings.attention(census.backend(), new KernelTimings.Attention("tiny", 2, 5, 7, 8), 1);
            KernelTimings.gemm(census.backend(), new KernelTimings.Gemm("tiny", false, true, 9, 10, 11), "fp32-own", true);
            int runs = KernelTimings.WARMUP + KernelTimings.REPS;
            assertEquals(runs, census.counts().launchesOf("attention_forward"), census.counts().launches().toString());
            assertEquals(runs, census.counts().launchesOf("gemm_v"), census.counts().launches().toString());
        }
    }
}
