package dev.tessera.tests.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.cae.CaeConfig;
import dev.tessera.engine.backend.Precision;
import dev.tessera.kernels.CudaOptions;
import dev.tessera.kernels.LaunchCensus;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.ModelSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every GEMM and every attention of a whole mae-tiny and cae-tiny training step (forward and backward) goes to the
 * kernels of the backend's precision, counted on the recording driver (no GPU): in bf16 no launch of gemm.cu or
 * attention.cu is left, in tf32 no fp32 GEMM, in fp32 no tensor-core kernel. A path that bypassed
 * {@code Backend.matmul}'s precision (a fused op, a new layer) would show up here as an fp32 launch.
 */
class PrecisionCensusTest {

    @ParameterizedTest
    @EnumSource(Precision.class)
    void aWholeStepRunsInItsPrecision(Precision p) {
        check(p, ModelSpec.of(MaeConfig.preset("mae-tiny")), "mae-tiny");
        check(p, ModelSpec.of(CaeConfig.preset("cae-tiny"), null), "cae-tiny");
    }

    static void check(Precision p, ModelSpec spec, String name) {
        try (LaunchCensus census = LaunchCensus.start(CudaOptions.defaults().withPrecision(p))) {
            PrecisionSteps.run(census.backend(), spec, 4);
            LaunchCensus.Counts c = census.counts();
            String table = "\n" + c.table(name + " step, " + p.label());
            long fp32Gemm = c.launchesOf("gemm_v"), bf16Gemm = c.launchesOf("gemm_mma_bf16_"), tf32Gemm = c.launchesOf("gemm_mma_tf32_");
            long flash = c.launchesOf("attention_flash_forward"), fp32Attention = c.launchesOf("attention_forward_v");
            switch (p) {
                case FP32 -> assertTrue(fp32Gemm > 0 && fp32Attention > 0 && bf16Gemm + tf32Gemm + flash == 0, table);
                case TF32 -> assertTrue(tf32Gemm > 0 && fp32Attention > 0 && fp32Gemm + bf16Gemm + flash == 0, table);
                case BF16 -> assertTrue(bf16Gemm > 0 && flash > 0 && fp32Gemm + tf32Gemm + fp32Attention == 0, table);
            }
            // one attention forward per block whatever the precision: MAE 12 encoder + 2 decoder; CAE 12 encoder on the
            // visible patches + 12 on the masked ones (the alignment target) + 4 regressor + 2 decoder
            assertEquals(name.startsWith("mae") ? 14 : 30, flash + fp32Attention, table);
        }
    }
}
