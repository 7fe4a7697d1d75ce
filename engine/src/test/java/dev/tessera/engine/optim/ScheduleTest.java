package dev.tessera.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The learning-rate checks (docs/mae.md#checks) for {@link CosineSchedule} and {@link LayerDecay}. */
class ScheduleTest {

    @Test
    void warmupIsLinearAndHalfwayIsHalfThePeak() {
        // MAE pre-training: lr 2.4e-3, 40 warmup epochs of 800 (docs/mae.md#pretraining-recipe).
        CosineSchedule s = new CosineSchedule(2.4e-3, 0, 40, 800);
        assertEquals(0.0, s.lr(0, 0, 1000), 0);
        assertEquals(1.2e-3, s.lr(20.0), 1e-15);
        assertEquals(1.2e-3, s.lr(20, 0, 312), 1e-15);
        assertEquals(2.4e-3 * (10 + 0.5) / 40, s.lr(10, 156, 312), 1e-15);
        assertEquals(2.4e-3, s.lr(40.0), 1e-15);
    }

    @Test
    void cosineEndsAtMinLr() {
        CosineSchedule s = new CosineSchedule(1e-3, 1e-6, 5, 100);
        // Halfway through the cosine: the mean of peak and min.
        assertEquals((1e-3 + 1e-6) / 2, s.lr(5 + 47.5), 1e-15);
        // Last iteration of the last epoch: e = 99 + 999/1000, 1 − cos ≈ (π·0.001/95)²/2, so lr − minLr < 1e-9.
        double last = s.lr(99, 999, 1000);
        assertTrue(last >= 1e-6 && last - 1e-6 < 1e-9, "last lr " + last);
        double prev = Double.MAX_VALUE;
        for (int e = 5; e < 100; e++) {
            assertTrue(s.lr(e, 0, 10) < prev, "not decreasing at epoch " + e);
            prev = s.lr(e, 0, 10);
        }
        assertThrows(IllegalArgumentException.class, () -> new CosineSchedule(1e-3, 0, 10, 10));
        assertThrows(IllegalArgumentException.class, () -> s.lr(0, 10, 10));
    }

    @Test
    void layerDecayForVitBase() {
        // ViT-B, depth 12, decay 0.65 (docs/mae.md#fine-tuning, docs/mae.md#checks): n = 13.
        LayerDecay ld = new LayerDecay(12, 0.65);
        assertEquals(1.0, ld.scale("head.weight"), 0);
        assertEquals(1.0, ld.scale("fc_norm.bias"), 0);
        assertEquals(Math.pow(0.65, 13), ld.scale("patch_embed.proj.weight"), 1e-18);
        assertEquals(Math.pow(0.65, 13), ld.scale("cls_token"), 1e-18);
        assertEquals(Math.pow(0.65, 13), ld.scale("pos_embed"), 1e-18);
        assertEquals(Math.pow(0.65, 12), ld.scale("blocks.0.attn.qkv.weight"), 1e-18);
        assertEquals(0.65, ld.scale("blocks.11.mlp.fc2.bias"), 1e-15);
        // The rounded figures of docs/mae.md#fine-tuning: block 0 ×0.0057, patch embed ×0.0037.
        assertEquals(0.0057, ld.scale("blocks.0.norm1.weight"), 5e-5);
        assertEquals(0.0037, ld.scale("patch_embed.proj.bias"), 5e-5);
        assertEquals(7, ld.layerId("blocks.6.attn.proj.weight"));
        assertThrows(IllegalArgumentException.class, () -> ld.layerId("blocks.12.norm1.weight"));
        assertThrows(IllegalArgumentException.class, () -> ld.layerId("blocks.x.norm1.weight"));
    }
}
