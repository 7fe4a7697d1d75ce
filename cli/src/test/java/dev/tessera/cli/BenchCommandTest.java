package dev.tessera.cli;

import dev.tessera.engine.backend.Precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Precision;
import dev.tessera.eval.ResultFile;
import dev.tessera.train.testing.TinyRun;
import dev.tessera.kernels.CudaOptions;
import dev.tessera.kernels.LaunchCensus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
    @TempDir
    Path tmp;

    @Test
    void stepTimesEveryMeasuredStepAndCountsTheModelsFlops() {
        Path json = tmp.resolve("step.json");
        String[] r = LinprobeCommandTest.run(new BenchCommand(), "step", "--model", "mae-tiny", "--batch", "4", "--warmup", "1", "--steps", "3",
                "--device", "cpu", "--threads", "2", "--json", json.toString());
        assertEquals("0", r[0], r[2] + r[1]);
        assertTrue(r[1].contains("step: median") && r[1].contains("images/s"), r[1]);
        assertTrue(r[1].contains("MFU: peak unknown for this device"), r[1]);
        Map<String, Object> j = ResultFile.read(json);
        assertEquals(3, ((List<?>) j.get("step_ms")).size());
        assertEquals(4, j.get("batch"));
        for (Object ms : (List<?>) j.get("step_ms")) assertTrue(((Number) ms).doubleValue() > 0, j.toString());
        double median = ((Number) j.get("median_ms")).doubleValue();
        assertEquals(4 * 1000 / median, ((Number) j.get("img_per_s")).doubleValue(), 1e-6);
        // mae-tiny: 2 × 3 × forward MACs; the forward count is TrainingFlopsTest's business, here it must be consistent
        double gmacs = ((Number) j.get("forward_gmac_per_image")).doubleValue();
        assertEquals(6 * gmacs, ((Number) j.get("training_gflop_per_image")).doubleValue(), 1e-9);
        assertNull(j.get("mfu"));
    }

    @Test
    void aVitPresetTimesSupervisedStepsWithTheClassifiersFlopsAndCpuTime() {
        Path json = tmp.resolve("vit.json");
        String[] r = LinprobeCommandTest.run(new BenchCommand(), "step", "--model", "vit-tiny-28", "--batch", "3", "--warmup", "1", "--steps", "2",
                "--device", "cpu", "--threads", "2", "--json", json.toString());
        assertEquals("0", r[0], r[2] + r[1]);
        assertTrue(r[1].contains("vit-tiny-28 (supervised), batch 3") && r[1].contains("process CPU time"), r[1]);
        Map<String, Object> j = ResultFile.read(json);
        assertEquals("vit-tiny-28 (supervised)", j.get("model"));
        // the whole classifier on cls + 49 patches: 12 blocks of 50 tokens, patch embedding 49·16·192, head 192·10
        long block = 50L * (4L * 192 * 192 + 2L * 192 * 768) + 2L * 50 * 50 * 192;
        double gmacs = (12 * block + 49L * 16 * 192 + 192L * 10) / 1e9;
        assertEquals(gmacs, ((Number) j.get("forward_gmac_per_image")).doubleValue(), 1e-12);
        List<?> cpu = (List<?>) j.get("step_cpu_ms");
        assertEquals(2, cpu.size());
        for (Object ms : cpu) assertTrue(((Number) ms).doubleValue() > 0, j.toString());
    }

    @Test
    void stepOfACaeWithAGivenPeakReportsItsUtilisation() {
        Path json = tmp.resolve("cae.json");
        String[] r = LinprobeCommandTest.run(new BenchCommand(), "step", "--model", "cae-tiny", "--batch", "2", "--warmup", "0", "--steps", "2",
                "--device", "cpu", "--peak-tflops", "0.5", "--json", json.toString());
        assertEquals("0", r[0], r[2] + r[1]);
        Map<String, Object> j = ResultFile.read(json);
        double tflops = ((Number) j.get("model_tflops")).doubleValue();
        assertEquals(tflops / 0.5, ((Number) j.get("mfu")).doubleValue(), 1e-9);
        assertTrue(r[1].contains("MFU") && r[1].contains("of 0.5 TFLOP/s"), r[1]);
    }

    @Test
    void badStepOptionsNameTheProblem() {
        String[] r = LinprobeCommandTest.run(new BenchCommand(), "step", "--precision", "bf17");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--precision must be fp32, tf32 or bf16, got 'bf17'"), r[2]);
        r = LinprobeCommandTest.run(new BenchCommand(), "step", "--model", "vit-gigantic");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--model vit-gigantic: not an MAE, CAE or ViT preset") && r[2].contains("cae-tiny")
                && r[2].contains("vit-tiny-28"), r[2]);
        r = LinprobeCommandTest.run(new BenchCommand(), "step", "--batch", "0");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--batch must be at least 1, got 0"), r[2]);
        r = LinprobeCommandTest.run(new BenchCommand());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("tessera bench step | tessera bench data"), r[2]);
    }

    @Test
    void aResultIsRefusedUnlessTheBackendComputesInThePrecisionOfItsLabel() {
        // a CUDA backend without cuBLAS (the census's recording driver): fp32 runs our fp32 kernels
        try (LaunchCensus census = LaunchCensus.start(new CudaOptions(true, true, false))) {
            String problem = BenchCommand.Step.precisionProblem(census.backend(), Precision.TF32);
            assertEquals("--precision tf32: " + census.backend().name() + " computes in fp32", problem);
            assertNull(BenchCommand.Step.precisionProblem(census.backend(), Precision.FP32));
            assertTrue(BenchCommand.Step.gemmOf(census.backend()).startsWith("own kernels"), BenchCommand.Step.gemmOf(census.backend()));
        }
        for (Precision p : new Precision[] {Precision.TF32, Precision.BF16}) {
            try (LaunchCensus census = LaunchCensus.start(CudaOptions.defaults().withPrecision(p))) {
                assertNull(BenchCommand.Step.precisionProblem(census.backend(), p));
                assertTrue(BenchCommand.Step.gemmOf(census.backend()).contains(p.label() + " tensor-core GEMM"),
                        BenchCommand.Step.gemmOf(census.backend()));
            }
        }
    }

    @Test
    void aBf16StepOnTheCpuIsRecordedAsBf16WithItsRoundedGemm() {
        Path json = tmp.resolve("bf16.json");
        String[] r = LinprobeCommandTest.run(new BenchCommand(), "step", "--model", "mae-tiny", "--batch", "2", "--warmup", "0", "--steps", "1",
                "--device", "cpu", "--threads", "1", "--precision", "bf16", "--json", json.toString());
        assertEquals("0", r[0], r[2] + r[1]);
        Map<String, Object> j = ResultFile.read(json);
        assertEquals("bf16", j.get("precision"));
        assertEquals("cpu(1 threads) SGEMM (Vector API, fp32; operands rounded to bf16 first)", j.get("gemm"));
        assertEquals("cpu(1 threads) attention with the flash kernel's bf16 roundings", j.get("attention"));
        assertTrue(r[1].contains("device: cpu(1 threads), precision bf16"), r[1]);
    }

    @Test
    void everyStepResultSaysWhichGemmRan() {
        Path json = tmp.resolve("gemm.json");
        String[] r = LinprobeCommandTest.run(new BenchCommand(), "step", "--model", "mae-tiny", "--batch", "2", "--warmup", "0", "--steps", "1",
                "--device", "cpu", "--threads", "1", "--json", json.toString());
        assertEquals("0", r[0], r[2] + r[1]);
        assertTrue(r[1].contains("matmul: cpu(1 threads) SGEMM"), r[1]);
        assertEquals("cpu(1 threads) SGEMM (Vector API, fp32)", ResultFile.read(json).get("gemm"));
    }

    @Test
    void dataMeasuresTheLoaderOnAnImageFolder() {
        Path folder = TinyRun.imageFolder(tmp.resolve("imgs"), 8, 2);
        Path json = tmp.resolve("data.json");
        String[] r = LinprobeCommandTest.run(new BenchCommand(), "data", "--data", folder.toString(), "--crop", "8", "--channels", "1",
                "--batch", "4", "--batches", "10", "--warmup", "2", "--workers", "2", "--json", json.toString());
        assertEquals("0", r[0], r[2] + r[1]);
        assertTrue(r[1].contains("loader:") && r[1].contains("images/s with 2 workers"), r[1]);
        Map<String, Object> j = ResultFile.read(json);
        assertEquals(40, ((Number) j.get("images")).intValue());         // 10 batches of 4 across several epochs of 32 images
        assertTrue(((Number) j.get("img_per_s")).doubleValue() > 0);
    }

    @Test
    void dataOnAMissingFolderSaysWhich() {
        String[] r = LinprobeCommandTest.run(new BenchCommand(), "data", "--data", tmp.resolve("nowhere").toString());
        assertTrue(!r[0].equals("0"), r[1]);
        assertTrue((r[2] + r[1]).contains(tmp.resolve("nowhere").toString()) && (r[2] + r[1]).contains("no such folder"), r[2]);
    }
}
