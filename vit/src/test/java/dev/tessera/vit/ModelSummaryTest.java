package dev.tessera.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.random.Rng;
import dev.tessera.vit.testing.MetaBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelSummaryTest {

    @Test
    void thousandsSeparators() {
        assertEquals("111,655,680", ModelSummary.thousands(111_655_680));
        assertEquals("0", ModelSummary.thousands(0));
    }

    @Test
    void vitBaseSummaryHasPartsAndTotals() {
        VisionTransformer vit = new VisionTransformer(ViTConfig.preset("vit-base-patch16"), new MetaBackend(), new Rng(1));
        String s = vit.summary();
        assertTrue(s.startsWith("vit-base-patch16\n"), s);
        assertTrue(s.contains("224×224×3, patch 16 → 14×14 = 196 patches"), s);
        assertTrue(s.contains("encoder blocks ×12"), s);
        assertTrue(s.contains("(7,087,872 each)"), s);
        assertTrue(s.contains("86,567,656"), s);
        List<ModelSummary.Row> rows = ModelSummary.rows(vit, List.of(
                ModelSummary.part("patch embed", "patch_embed"), ModelSummary.repeated("blocks", "blocks")));
        assertEquals(590_592, rows.get(0).trainable());
        assertEquals(12 * 7_087_872L, rows.get(1).trainable());
        assertEquals("other", rows.get(2).label());
        assertEquals(86_567_656L, rows.stream().mapToLong(ModelSummary.Row::trainable).sum());
    }

    @Test
    void fixedBuffersAreCountedApart() {
        ViTConfig cfg = ViTConfig.of(28, 4, 1, 32, 2, 2);   // fixed position table, no head
        VisionTransformer vit = new VisionTransformer(cfg, new MetaBackend(), new Rng(1));
        List<ModelSummary.Row> rows = ModelSummary.rows(vit, List.of(ModelSummary.part("position table", "pos_embed")));
        assertEquals(0, rows.get(0).trainable());
        assertEquals(50 * 32, rows.get(0).fixed());
    }
}
