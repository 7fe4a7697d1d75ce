package dev.tessera.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ViTConfigTest {

    @Test
    void presetNamesAreTheDocumentedOnes() {
        assertEquals(List.of("vit-tiny-patch16", "vit-small-patch16", "vit-base-patch16", "vit-large-patch16",
                "vit-huge-patch14", "vit-tiny-28", "vit-small-28"), ViTConfig.presetNames());
        ViTConfig h = ViTConfig.preset("vit-huge-patch14");
        assertEquals(256, h.numPatches());
        assertEquals(80, h.headDim());
        assertEquals(5120, h.mlpHidden());
        ViTConfig t = ViTConfig.preset("vit-tiny-28");
        assertEquals(49, t.numPatches());
        assertEquals(16, t.patchDim());
    }

    @Test
    void unknownPresetListsValidNames() {
        var e = assertThrows(IllegalArgumentException.class, () -> ViTConfig.preset("vit-gigantic"));
        assertTrue(e.getMessage().contains("vit-gigantic") && e.getMessage().contains("vit-base-patch16, "), e.getMessage());
    }

    @Test
    void inconsistentShapesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ViTConfig.of(30, 4, 1, 32, 2, 2));   // 30 % 4
        assertThrows(IllegalArgumentException.class, () -> ViTConfig.of(28, 4, 1, 30, 2, 3));   // 30 % 4
        assertThrows(IllegalArgumentException.class, () -> ViTConfig.of(28, 4, 1, 32, 2, 3));   // 32 % 3
    }

    @Test
    void encoderViewDropsHeadAndFreezesPosition() {
        ViTConfig e = ViTConfig.preset("vit-base-patch16").withPool(Pool.AVG).asEncoder();
        assertEquals(0, e.numClasses());
        assertEquals(false, e.posLearnable());
        assertEquals(Pool.CLS, e.pool());
    }
}
