package dev.tessera.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.random.Rng;
import org.junit.jupiter.api.Test;

/** docs/cae.md#masking, docs/cae.md#checks: exactly M masked every time (CAE's variant), blocks never span a full side. */
class BlockMaskGeneratorTest {

    private static int count(boolean[] m) {
        int c = 0;
        for (boolean b : m) c += b ? 1 : 0;
        return c;
    }

    @Test
    void caeSettingsGiveExactlyMOnFourteenByFourteen() {
        Rng rng = new Rng(42);
        for (int m : new int[] {75, 98, 147}) {
            BlockMaskGenerator gen = BlockMaskGenerator.cae(14, m);
            for (int i = 0; i < 2000; i++) assertEquals(m, count(gen.next(rng)), "M = " + m + ", draw " + i);
        }
    }

    @Test
    void smallGridsAndSmallBlocksTerminateWithExactCounts() {
        Rng rng = new Rng(7);
        BlockMaskGenerator seven = new BlockMaskGenerator(7, 7, 37, 9, 0, 0.3);
        for (int i = 0; i < 2000; i++) assertEquals(37, count(seven.next(rng)));
        BlockMaskGenerator three = new BlockMaskGenerator(3, 3, 7, 1, 0, 0.3);
        for (int i = 0; i < 2000; i++) assertEquals(7, count(three.next(rng)));
    }

    @Test
    void masksAreBlockyNotScattered() {
        // A random mask of 98/196 has ~98 masked-unmasked neighbour pairs along rows; blocks have far fewer.
        Rng rng = new Rng(3);
        BlockMaskGenerator gen = BlockMaskGenerator.cae(14, 98);
        double edges = 0;
        for (int i = 0; i < 200; i++) {
            boolean[] m = gen.next(rng);
            for (int r = 0; r < 14; r++) for (int c = 0; c < 13; c++) if (m[r * 14 + c] != m[r * 14 + c + 1]) edges++;
        }
        assertTrue(edges / 200 < 60, "row transitions per mask: " + edges / 200);
    }
}
