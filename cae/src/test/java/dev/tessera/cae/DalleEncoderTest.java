package dev.tessera.cae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The DALL-E encoder's structure (its numbers against PyTorch are in tests/…/DalleEncoderGoldenTest). */
class DalleEncoderTest {
    static final CpuBackend CPU = new CpuBackend(2);

    @AfterAll
    static void close() {
        CPU.close();
    }

    @Test
    void officialNamesWidthsAndIdPathsOnlyWhereTheWidthChanges() {
        DalleEncoder enc = new DalleEncoder(new DalleConfig(8, 2, 3, 32), CPU, new Rng(0));
        var p = enc.namedParameters();
        assertArrayEquals(new int[] {8, 3, 7, 7}, p.get("blocks.input.w").shape());
        assertArrayEquals(new int[] {2, 8, 3, 3}, p.get("blocks.group_1.block_1.res_path.conv_1.w").shape());
        assertFalse(p.containsKey("blocks.group_1.block_1.id_path.w"), "8 → 8: identity");
        assertArrayEquals(new int[] {16, 8, 1, 1}, p.get("blocks.group_2.block_1.id_path.w").shape());
        assertFalse(p.containsKey("blocks.group_2.block_2.id_path.w"));
        assertArrayEquals(new int[] {64, 16, 1, 1}, p.get("blocks.group_4.block_2.res_path.conv_4.w").shape());
        assertArrayEquals(new int[] {32, 64, 1, 1}, p.get("blocks.output.conv.w").shape());
        assertArrayEquals(new int[] {32}, p.get("blocks.output.conv.b").shape());
        Map<String, int[]> shapes = new LinkedHashMap<>();
        p.forEach((k, v) -> shapes.put(k, v.shape()));
        assertEquals(enc.config(), DalleConfig.fromShapes(shapes));
    }

    @Test
    void eightPixelsPerTokenAndIdsInTheVocabulary() {
        DalleEncoder enc = new DalleEncoder(new DalleConfig(4, 1, 3, 16), CPU, new Rng(1));
        Tensor x = Tensor.of(CPU, new Rng(2).uniform(2 * 3 * 16 * 24, 0.1f, 0.9f), 2, 3, 16, 24);
        assertArrayEquals(new int[] {2, 16, 2, 3}, enc.forward(x).shape());
        int[] ids = enc.tokens(x).toIntArray();
        assertEquals(2 * 6, ids.length);
        for (int id : ids) assertTrue(id >= 0 && id < 16);
        var e = assertThrows(ShapeException.class, () -> enc.forward(Tensor.zeros(CPU, 1, 3, 12, 16)));
        assertTrue(e.getMessage().contains("multiples of 8"), e.getMessage());
    }

    @Test
    void mapPixelsAndPostGainAreTheOfficialConstants() {
        assertEquals(0.1f, DalleEncoder.mapPixels(0f), 0);
        assertEquals(0.9f, DalleEncoder.mapPixels(1f), 1e-7f);
        assertEquals(1f / 64, DalleConfig.official().postGain(), 0);           // n_layers = 4 groups · 2 blocks
        assertThrows(IllegalArgumentException.class, () -> new DalleConfig(6, 2, 3, 8192));
    }
}
