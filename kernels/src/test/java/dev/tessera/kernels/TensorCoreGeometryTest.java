package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Launch rules of the tensor-core launchers (GemmMmaCuda, FlashAttentionCuda), checked without a GPU: grids
 * cover the work and respect CUDA's limits at the MAE-B/16 shapes (batch 256: encoder 256·50 = 12800 tokens,
 * decoder 256·197 = 50432 tokens, 12 or 16 heads) and beyond 65535 heads; shared memory matches the kernels'
 * FlashTiles / GemmMma layouts (the emulator runs the kernels with these same sizes) and stays within the
 * 99 KiB opt-in limit of every GPU we build for; bf16 rounding is round-to-nearest-even.
 */
class TensorCoreGeometryTest {

    @Test
    void gemmGridCoversTheProductAndLoopsLargeBatches() {
        LaunchConfig c = GemmMmaCuda.geometry(GemmMmaCuda.Variant.BF16, false, false, 1, 50432, 3072);
        assertEquals(new LaunchConfig(24, 394, 1, 256, 1, 1, 81920), c);
        assertTrue(c.needsSharedOptIn());
        assertEquals(65535, GemmMmaCuda.geometry(GemmMmaCuda.Variant.BF16_STORED, false, false, 100_000, 8, 8).gridZ());
        assertEquals(65536, GemmMmaCuda.sharedBytes(GemmMmaCuda.Variant.BF16_STORED, false, true));
        // tf32: padded rows, [128][20] floats when k is contiguous, [16][136] otherwise; 4 stages of A and B
        assertEquals(4 * 4 * (128 * 20 + 16 * 136), GemmMmaCuda.sharedBytes(GemmMmaCuda.Variant.TF32, false, false));
        assertEquals(4 * 4 * (2 * 128 * 20), GemmMmaCuda.sharedBytes(GemmMmaCuda.Variant.TF32, false, true));
        assertEquals(4 * 4 * (2 * 16 * 136), GemmMmaCuda.sharedBytes(GemmMmaCuda.Variant.TF32, true, false));
        for (GemmMmaCuda.Variant v : GemmMmaCuda.Variant.values()) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    assertTrue(GemmMmaCuda.sharedBytes(v, ta, tb) <= LaunchConfig.MAX_SHARED_OPT_IN, v + " " + ta + tb);
                }
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> GemmMmaCuda.geometry(GemmMmaCuda.Variant.BF16, false, false, 1, 65535 * 128 + 1, 8));
        assertTrue(GemmMmaCuda.geometry(GemmMmaCuda.Variant.TF32, true, true, 1, 0, 5).isEmpty());
        assertEquals("gemm_mma_bf16_tn", GemmMmaCuda.kernelName(GemmMmaCuda.Variant.BF16, true, false));
        assertEquals("gemm_mma_bf16in_nt", GemmMmaCuda.kernelName(GemmMmaCuda.Variant.BF16_STORED, false, true));
        assertEquals("gemm_mma_tf32_tt", GemmMmaCuda.kernelName(GemmMmaCuda.Variant.TF32, true, true));
    }

    @Test
    void flashGridsAreOneDimensionalAndFitSharedMemory() {
        // MAE-B encoder: 256 images × 12 heads, 50 tokens, d 64
        assertEquals(3072, FlashAttentionCuda.forwardGeometry(3072, 50, 64).gridX());
        // decoder: 256 × 16 heads, 197 tokens, d 32 → 4 query blocks per head
        assertEquals(256 * 16 * 4, FlashAttentionCuda.dqGeometry(256 * 16, 197, 32).gridX());
        // batch × heads beyond grid.y/z's 65535: still one dimension
        LaunchConfig big = FlashAttentionCuda.dkdvGeometry(70_000, 197, 64);
        assertEquals(70_000 * 4, big.gridX());
        assertEquals(1, big.gridY());
        for (int d : new int[] {32, 64, 128}) {
            for (LaunchConfig c : new LaunchConfig[] {FlashAttentionCuda.forwardGeometry(1, 1, d),
                    FlashAttentionCuda.dqGeometry(1, 1, d), FlashAttentionCuda.dkdvGeometry(1, 1, d)}) {
                assertEquals(128, c.threadsPerBlock());
                assertTrue(c.sharedBytes() <= LaunchConfig.MAX_SHARED_OPT_IN, d + ": " + c);
            }
        }
        assertEquals(49152, FlashAttentionCuda.forwardSharedBytes(128));  // 32-key tiles at d 128
        assertEquals(49152, FlashAttentionCuda.forwardSharedBytes(64));
        assertEquals(2 * 64 * 64 * 6 + 2 * 64 * 64 * 2 + 2 * 64 * 4, FlashAttentionCuda.dkdvSharedBytes(64));
        assertTrue(FlashAttentionCuda.supports(32) && FlashAttentionCuda.supports(128));
        assertFalse(FlashAttentionCuda.supports(65));
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals(0x3f80, Bf16.bits(1.0f));
        assertEquals(0x3f80, Bf16.bits(Float.intBitsToFloat(0x3f808000)));  // tie, even below
        assertEquals(0x3f82, Bf16.bits(Float.intBitsToFloat(0x3f818000)));  // tie, even above
        assertEquals(0x3f81, Bf16.bits(Float.intBitsToFloat(0x3f808001)));
        assertEquals(0x7f80, Bf16.bits(Float.intBitsToFloat(0x7f7fffff)));  // overflows to +inf
        assertEquals(0xff80, Bf16.bits(Float.NEGATIVE_INFINITY));
        assertEquals(0x7fff, Bf16.bits(Float.NaN));
        assertEquals(0.99609375f, Bf16.round(0.996f));  // 255/256: 8 significant bits
        assertEquals(0x3f80 | (0xc000 << 16), Bf16.pack(new float[] {1f, -2f})[0]);
        assertEquals(0x3f80, Bf16.pack(new float[] {1f, -2f, 1f})[1]);
    }
}
