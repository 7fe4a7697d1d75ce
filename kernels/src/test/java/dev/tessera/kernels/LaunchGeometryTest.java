package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Launch geometry of every launcher, computed in plain Java and checked here without a GPU: grids cover the
 * work, stay inside CUDA's limits, and the default-variant rules pick what their comments promise.
 * Shapes: ViT-S/16 at batch 64 has 64·197 = 12608 token rows of width 384, 6 heads of 64; ViT-B 768, 12 heads.
 */
class LaunchGeometryTest {
    static final int H100_SMS = 132;

    @Test
    void launchConfigEnforcesCudaLimits() {
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(1, 1, 1, 2048, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(1, 70000, 1, 32, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(1, 1, 1, 32, 1, 1, 100 * 1024));
        assertTrue(new LaunchConfig(1, 1, 1, 32, 1, 1, 64 * 1024).needsSharedOptIn());
        assertTrue(!new LaunchConfig(1, 1, 1, 32, 1, 1, 48 * 1024).needsSharedOptIn());
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.checkWarpMultiple("k", 48));
        assertTrue(LaunchConfig.linear(0, 256).isEmpty());
        assertEquals(4, LaunchConfig.linear(1000, 256).gridX());
        assertEquals("grid (4,1,1) block (256,1,1) shared 0 B", LaunchConfig.linear(1000, 256).toString());
    }

    @Test
    void stridedIsOneThreadPerElement() {
        LaunchConfig c = StridedCuda.geometry(12608 * 384, 256);
        assertEquals(12608 * 384 / 256, c.gridX());
        assertThrows(IllegalArgumentException.class, () -> StridedCuda.geometry(10, 100));
    }

    @Test
    void reduceRulePicksTheVersionItDescribes() {
        // bias gradient of a ViT-S linear layer: few outputs, long axis → split
        ReduceCuda.Plan bias = ReduceCuda.choose(1, 12608, 384, H100_SMS);
        assertEquals(ReduceCuda.Variant.V3_SPLIT, bias.variant());
        assertTrue(bias.chunks() > 1 && bias.chunks() <= 12608 / 16, "chunks " + bias.chunks());
        // row sums of 12608 rows → block per row
        assertEquals(ReduceCuda.Variant.V2_BLOCK_PER_OUTPUT, ReduceCuda.choose(12608, 384, 1, H100_SMS).variant());
        // a full sum of a big tensor → split
        assertEquals(ReduceCuda.Variant.V3_SPLIT, ReduceCuda.choose(1, 4_841_472, 1, H100_SMS).variant());
        // short rows → thread per row
        assertEquals(ReduceCuda.Variant.V1_THREAD_PER_OUTPUT, ReduceCuda.choose(5000, 3, 1, H100_SMS).variant());
        // many column outputs → thread per output
        assertEquals(ReduceCuda.Variant.V1_THREAD_PER_OUTPUT, ReduceCuda.choose(256, 197, 384, H100_SMS).variant());
        // tiny → no split
        assertEquals(ReduceCuda.Variant.V1_THREAD_PER_OUTPUT, ReduceCuda.choose(1, 10, 10, H100_SMS).variant());
        for (int len : new int[] {1, 31, 32, 33, 1000, 100_000}) {
            int b = ReduceCuda.v2Block(len);
            assertTrue(b >= 32 && b <= 1024 && Integer.bitCount(b) == 1, "block " + b + " for length " + len);
        }
        assertEquals(5, ReduceCuda.v2Geometry(5, 128).gridX());
    }

    @Test
    void gemmRuleAndGrids() {
        assertEquals(GemmCuda.Variant.V3_TILED_128, GemmCuda.choose(1, 12608, 1536, H100_SMS));
        assertEquals(GemmCuda.Variant.V2_TILED_64, GemmCuda.choose(1, 197, 384, H100_SMS));
        LaunchConfig v1 = GemmCuda.geometry(GemmCuda.Variant.V1_NAIVE, 3, 33, 17);
        assertEquals(new LaunchConfig(2, 3, 3, 16, 16, 1, 0), v1);
        LaunchConfig v3 = GemmCuda.geometry(GemmCuda.Variant.V3_TILED_128, 100_000, 12608, 1536);
        assertEquals(new LaunchConfig(12, 99, 65535, 256, 1, 1, 0), v3);  // batches past 65535 loop over grid.z
        assertTrue(GemmCuda.geometry(GemmCuda.Variant.V2_TILED_64, 1, 0, 5).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> GemmCuda.checkSizes(2, 4, 4, 4, 31, 16, 32, 16, 32));
        GemmCuda.checkSizes(2, 4, 4, 4, 16, 0, 32, 16, 32);  // batch stride 0: one shared A
    }

    @Test
    void layerNormGrids() {
        assertEquals(12608 / 8, LayerNormCuda.rowGeometry(LayerNormCuda.Variant.V2, 12608, 256).gridX());
        assertEquals(1, LayerNormCuda.rowGeometry(LayerNormCuda.Variant.V1, 5, 128).gridX());
        for (int rows : new int[] {1, 7, 197, 12608, 3_000_000, Integer.MAX_VALUE / 4}) {
            int per = LayerNormCuda.rowsPerChunk(rows, 384, H100_SMS);
            assertEquals(0, per % 8, "multiple of the 8 row phases");
            LaunchConfig c = LayerNormCuda.partialGeometry(rows, 384, per);
            assertTrue(c.gridY() <= 65535 && (long) c.gridY() * per >= rows, rows + " rows: " + c);
            assertEquals(256, c.threadsPerBlock());
        }
        LaunchConfig vitS = LayerNormCuda.partialGeometry(12608, 384, LayerNormCuda.rowsPerChunk(12608, 384, H100_SMS));
        assertTrue((long) vitS.gridX() * vitS.gridY() >= 4L * H100_SMS, "fills the GPU: " + vitS);
    }

    @Test
    void softmaxRuleAndGrids() {
        assertEquals(SoftmaxCuda.Variant.V2, SoftmaxCuda.choose(1000));
        assertEquals(SoftmaxCuda.Variant.V3, SoftmaxCuda.choose(4096));
        assertEquals(25, SoftmaxCuda.geometry(SoftmaxCuda.Variant.V2, 197, 256).gridX());
        assertEquals(197, SoftmaxCuda.geometry(SoftmaxCuda.Variant.V3, 197, 512).gridX());
        assertEquals(2, SoftmaxCuda.geometry(SoftmaxCuda.Variant.V1, 197, 128).gridX());
    }

    @Test
    void attentionSharedMemoryFitsWithoutOptInForEveryHeadDim() {
        for (int d = 1; d <= AttentionCuda.V2_MAX_HEAD_DIM; d++) {
            assertTrue(AttentionCuda.forwardSharedBytes(d) <= LaunchConfig.DEFAULT_SHARED_LIMIT, "forward d=" + d);
            assertTrue(AttentionCuda.dqSharedBytes(d) <= LaunchConfig.DEFAULT_SHARED_LIMIT, "dq d=" + d);
            assertTrue(AttentionCuda.dkdvSharedBytes(d) <= LaunchConfig.DEFAULT_SHARED_LIMIT, "dkdv d=" + d);
            assertEquals(1, AttentionCuda.oddStride(d) % 2);
        }
        assertEquals(AttentionCuda.Variant.V1, AttentionCuda.choose(129));
        // ViT-B, batch 64: 768 heads of 197 queries, 16 rows per forward block
        assertEquals(768 * 13, AttentionCuda.forwardGeometry(768, 197, 64).gridX());
        assertEquals(768 * 25, AttentionCuda.dkdvGeometry(768, 197, 64).gridX());
        assertEquals(768 * 25, AttentionCuda.dqGeometry(768, 197, 64).gridX());
        assertEquals(LaunchConfig.blocksFor(768L * 197, 8), AttentionCuda.dotGeometry(768, 197).gridX());
        assertEquals(4 * 197, AttentionCuda.v1Geometry(2, 197, 128, 4 * 197, 0).sharedBytes());
        var e = assertThrows(IllegalArgumentException.class, () -> AttentionCuda.v1Geometry(1, 1, 128, 4L * 20_000, 0));
        assertTrue(e.getMessage().contains("use V2"), e.getMessage());
        // 12288 keys fill the 48 KiB with the dynamic row alone; the forward kernel's 128 static bytes do not fit
        int forwardStatic = AttentionCuda.V1_FORWARD_STATIC_SHARED;
        assertEquals(4 * 12256, AttentionCuda.v1Geometry(1, 1, 128, 4L * 12256, forwardStatic).sharedBytes());
        assertThrows(IllegalArgumentException.class, () -> AttentionCuda.v1Geometry(1, 1, 128, 4L * 12288, forwardStatic));
    }

    @Test
    void maskingTakesOneBlockPerRowWithTheRowsKeysInSharedMemory() {
        LaunchConfig c = MaskingCuda.config(256, 196, 256);
        assertEquals(256, c.gridX());
        assertEquals(4 * 196, c.sharedBytes());
        assertTrue(!c.isEmpty() && MaskingCuda.config(5, 0, 256).isEmpty(), "no tokens: nothing to launch");
        assertEquals(LaunchConfig.DEFAULT_SHARED_LIMIT, MaskingCuda.config(1, MaskingCuda.MAX_LENGTH, 32).sharedBytes());
        assertEquals("argsortMask: 12289 tokens per row, at most 12288 fit the kernel's shared memory",
                assertThrows(IllegalArgumentException.class, () -> MaskingCuda.config(1, 12289, 256)).getMessage());
    }
}
