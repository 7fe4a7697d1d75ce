package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.Precision;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which kernels a backend launches for matmul and attention in each precision, counted on the recording driver
 * (no GPU): fp32 keeps gemm.cu (or cuBLAS) and attention.cu, tf32 runs the tf32 tensor-core GEMM and fp32
 * attention, bf16 the bf16 GEMM and the flash kernels — and a head dim the flash kernels lack runs fp32 attention
 * and says so. A GPU older than sm_80 asked for tf32/bf16 is refused at start, never run in fp32 under that label.
 */
class PrecisionKernelsTest {

    static Map<String, Long> launches(Precision p, int headDim, boolean[] layouts) {
        try (LaunchCensus census = LaunchCensus.start(CudaOptions.defaults().withPrecision(p))) {
            Backend be = census.backend();
            assertEquals(p, be.precision());
            LaunchCensus.Counts before = census.counts();
            Buffer a = be.allocate(64 * 48), b = be.allocate(48 * 32), c = be.allocate(64 * 32);
            be.matmul(layouts[0], layouts[1], 1, 64, 32, 48, 1f, a, 0, b, 0, 0f, c);
            int bh = 6, l = 50, n = bh * l * headDim;
            Buffer q = be.allocate(n), k = be.allocate(n), v = be.allocate(n), out = be.allocate(n), lse = be.allocate(bh * l);
            Buffer dq = be.allocate(n), dk = be.allocate(n), dv = be.allocate(n);
            be.attentionForward(AttentionLayout.contiguous(bh, l, l, headDim), q, k, v, out, lse, 0.125f);
            be.attentionBackward(AttentionLayout.contiguous(bh, l, l, headDim), q, k, v, out, lse, out, dq, dk, dv, 0.125f,
                GradMode.ACCUMULATE);
            return census.counts().minus(before).launches();
        }
    }

    @Test
    void fp32KeepsTodaysKernels() {
        Map<String, Long> l = launches(Precision.FP32, 64, new boolean[] {false, true});
        assertTrue(l.keySet().stream().anyMatch(s -> s.startsWith("gemm_v")), l.toString());
        assertEquals(1L, l.get("attention_forward_v2"), l.toString());
        assertEquals(1L, l.get("attention_backward_dq_v2"), l.toString());
        assertFalse(l.keySet().stream().anyMatch(s -> s.startsWith("gemm_mma") || s.startsWith("attention_flash")), l.toString());
    }

    @Test
    void tf32RunsTheTf32TensorCoreGemmAndFp32Attention() {
        Map<String, Long> l = launches(Precision.TF32, 64, new boolean[] {true, false});
        assertEquals(1L, l.get("gemm_mma_tf32_tn"), l.toString());
        assertEquals(1L, l.get("attention_forward_v2"), l.toString());
        assertFalse(l.keySet().stream().anyMatch(s -> s.startsWith("gemm_v") || s.startsWith("attention_flash")), l.toString());
    }

    @Test
    void bf16RunsTheBf16GemmAndFlashAttention() {
        for (int d : new int[] {32, 64, 128}) {
            Map<String, Long> l = launches(Precision.BF16, d, new boolean[] {false, true});
            assertEquals(1L, l.get("gemm_mma_bf16_nt"), l.toString());
            assertEquals(1L, l.get("attention_flash_forward_d" + d), l.toString());
            assertEquals(1L, l.get("attention_flash_backward_dq_d" + d), l.toString());
            assertEquals(1L, l.get("attention_flash_backward_dkdv_d" + d), l.toString());
            assertFalse(l.keySet().stream().anyMatch(s -> s.startsWith("gemm_v") || s.endsWith("_v2")), l.toString());
        }
    }

    @Test
    void bf16WithAnotherHeadDimRunsFp32AttentionAndSaysSo() {
        try (LaunchCensus census = LaunchCensus.start(CudaOptions.defaults().withPrecision(Precision.BF16))) {
            CudaBackend be = census.backend();
            assertFalse(be.attentionDescription().contains("ran fp32"), be.attentionDescription());
            int n = 2 * 5 * 48;
            Buffer q = be.allocate(n), out = be.allocate(n), lse = be.allocate(10);
            be.attentionForward(AttentionLayout.contiguous(2, 5, 5, 48), q, q, q, out, lse, 0.2f);
            assertEquals(1L, census.counts().launches().get("attention_forward_v2"));
            assertTrue(be.attentionDescription().contains("ran fp32 for head dims [48]"), be.attentionDescription());
        }
    }

    @Test
    void descriptionsSayWhichGemmRunsAndWhy() {
        for (Precision p : Precision.values()) {
            try (LaunchCensus census = LaunchCensus.start(CudaOptions.defaults().withPrecision(p))) {
                String g = census.backend().gemmDescription();
                switch (p) {
                    case FP32 -> assertTrue(g.startsWith("own kernels (gemm.cu, fp32)"), g);
                    case TF32 -> assertTrue(g.contains("tf32 tensor-core GEMM") && g.contains("--precision tf32"), g);
                    case BF16 -> assertTrue(g.contains("bf16 tensor-core GEMM") && g.contains("cuBLAS is not used"), g);
                }
                assertEquals(p == Precision.TF32, census.backend().gemmUsesTf32(), g);
            }
        }
    }

    @Test
    void aGpuWithoutBf16TensorCoresIsRefusedForTf32AndBf16() {
        CudaStatus turing = new CudaStatus(true, null, 0, "Tesla T4", 16L << 30, 7, 5, 40, 13000, true, false, "own kernels");
        for (Precision p : List.of(Precision.TF32, Precision.BF16)) {
            RecordingDriver d = new RecordingDriver(1L << 34);
            var e = assertThrows(IllegalArgumentException.class, () -> new CudaBackend(d, turing,
                    CudaOptions.defaults().withPrecision(p), (ctx, lc, o) -> List.of()));
            assertEquals("--precision " + p.label() + " needs tensor cores with " + p.label()
                    + " (compute capability 8.0 or newer); Tesla T4 has 7.5 (use --precision fp32)", e.getMessage());
        }
        RecordingDriver d = new RecordingDriver(1L << 34);
        try (CudaBackend fp32 = new CudaBackend(d, turing, CudaOptions.defaults(), (ctx, lc, o) -> List.of())) {
            assertEquals(Precision.FP32, fp32.precision());
        }
        assertTrue(turing.precisions().contains("refused"), turing.precisions());
        assertTrue(LaunchCensus.H100.precisions().contains("attention_flash.cu"), LaunchCensus.H100.precisions());
    }
}
