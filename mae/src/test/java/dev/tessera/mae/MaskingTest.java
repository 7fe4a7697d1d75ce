package dev.tessera.mae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.vit.ViTConfig;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** docs/mae.md#masking invariants of random_masking and the Table 1f strategies expressed as noise. */
class MaskingTest {
    private final Backend be = Backends.cpu();
    private static final MaeConfig SMALL = MaeConfig.of(ViTConfig.of(28, 4, 1, 32, 2, 2), 16, 1, 2);
    private final MaskedAutoencoder mae = new MaskedAutoencoder(SMALL, be, new Rng(1));

    private Tensor tokens(int n, int l, int d) {
        float[] v = new float[n * l * d];
        for (int i = 0; i < v.length; i++) v[i] = i;                     // token (s, i) is recognisable
        return Tensor.of(be, v, n, l, d);
    }

    private Tensor noise(int n, int l, long seed) {
        Rng r = new Rng(seed);
        float[] v = new float[n * l];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat();
        return Tensor.of(be, v, n, l);
    }

    @Test
    void invariantsOfRandomMasking() {
        int n = 4, l = 49, d = 3, keep = 12;
        Tensor x = tokens(n, l, d), nz = noise(n, l, 5);
        MaskedAutoencoder.Masked m = mae.randomMasking(x, 0.75, nz);
        assertArrayEquals(new int[] {n, keep, d}, m.x().shape());
        int[] shuffle = m.idsShuffle().toIntArray(), restore = m.idsRestore().toIntArray(), ids = m.idsKeep().toIntArray();
        float[] mask = m.mask().toArray(), noise = nz.toArray(), xm = m.x().toArray(), xv = x.toArray();
        for (int s = 0; s < n; s++) {
            float removed = 0;
            float[] sorted = Arrays.copyOfRange(noise, s * l, (s + 1) * l);
            Arrays.sort(sorted);
            for (int t = 0; t < l; t++) {
                assertEquals(t, restore[s * l + shuffle[s * l + t]], "ids_restore[ids_shuffle[t]] = t");
                assertEquals(sorted[t], noise[s * l + shuffle[s * l + t]], "ids_shuffle sorts the noise ascending");
                int rank = restore[s * l + t];
                assertEquals(rank >= keep ? 1f : 0f, mask[s * l + t], "mask = 1 iff rank ≥ len_keep");
                removed += mask[s * l + t];
            }
            assertEquals(l - keep, removed, "sum(mask) = L − len_keep");
            for (int t = 0; t < keep; t++) {
                assertEquals(shuffle[s * l + t], ids[s * keep + t], "ids_keep = ids_shuffle[:len_keep]");
                for (int c = 0; c < d; c++) {
                    assertEquals(xv[(s * l + ids[s * keep + t]) * d + c], xm[(s * keep + t) * d + c], "x_masked = gather(x, ids_keep)");
                }
            }
        }
    }

    @Test
    void deviceMaskingEqualsTheHostArgsortItReplaced() {
        // Structured strategies tie many noise values (GRID/BLOCK draw from few levels): ties must keep patch order.
        Rng rng = new Rng(12);
        for (MaskingStrategy strategy : MaskingStrategy.values()) {
            float[] nz = strategy.noise(3, 7, 12, rng);
            for (int i = 0; i < nz.length; i += 5) nz[i] = nz[(i + 7) % nz.length];   // force exact ties
            int[] host = MaskedAutoencoder.argsortRows(nz, 3, 49);
            MaskedAutoencoder.Masked m = mae.randomMasking(tokens(3, 49, 2), 0.75, Tensor.of(be, nz, 3, 49));
            assertArrayEquals(host, m.idsShuffle().toIntArray(), strategy + ": ids_shuffle");
        }
    }

    @Test
    void lenKeepTruncatesLikePython() {
        assertEquals(49, MaeConfig.lenKeep(196, 0.75));
        assertEquals(12, MaeConfig.lenKeep(49, 0.75));      // 12.25
        assertEquals(24, MaeConfig.lenKeep(49, 0.5));       // 24.5
        assertEquals(49, MaeConfig.lenKeep(49, 0.0));
        assertEquals(78, MaeConfig.lenKeep(196, 0.6));      // 78.4
    }

    @Test
    void sameNoiseSameMaskAndBadNoiseShapeIsRefused() {
        Tensor x = tokens(2, 49, 2), nz = noise(2, 49, 9);
        assertArrayEquals(mae.randomMasking(x, 0.75, nz).idsRestore().toIntArray(), mae.randomMasking(x, 0.75, nz).idsRestore().toIntArray());
        assertThrows(ShapeException.class, () -> mae.randomMasking(x, 0.75, noise(2, 48, 1)));
    }

    @Test
    void drawnNoiseDiffersPerCallAndSample() {
        Tensor x = tokens(2, 49, 2);
        float[] a = mae.randomMasking(x, 0.75, null).mask().toArray(), b = mae.randomMasking(x, 0.75, null).mask().toArray();
        assertTrue(!Arrays.equals(a, b), "fresh noise each call");
        assertTrue(!Arrays.equals(Arrays.copyOfRange(a, 0, 49), Arrays.copyOfRange(a, 49, 98)), "per-sample noise");
    }

    @Test
    void gridKeepsOneOfEveryTwoByTwo() {
        Rng rng = new Rng(3);
        // Even grid 8×8: exactly the 16 patches with even row and column survive 75% masking.
        float[] nz = MaskingStrategy.GRID.noise(3, 8, MaeConfig.lenKeep(64, 0.75), rng);
        for (int s = 0; s < 3; s++) {
            int[] order = MaskedAutoencoder.argsortRows(Arrays.copyOfRange(nz, s * 64, (s + 1) * 64), 1, 64);
            boolean[] kept = new boolean[64];
            for (int t = 0; t < 16; t++) kept[order[t]] = true;
            for (int r = 0; r < 8; r++) for (int c = 0; c < 8; c++) assertEquals(r % 2 == 0 && c % 2 == 0, kept[r * 8 + c]);
        }
        // Odd grid 7×7 (Fashion-MNIST): the 12 kept patches are all grid patches.
        nz = MaskingStrategy.GRID.noise(1, 7, 12, rng);
        int[] order = MaskedAutoencoder.argsortRows(nz, 1, 49);
        for (int t = 0; t < 12; t++) assertTrue((order[t] / 7) % 2 == 0 && (order[t] % 7) % 2 == 0);
    }

    @Test
    void blockRemovesExactlyLMinusLenKeepInRectangles() {
        Rng rng = new Rng(4);
        for (int trial = 0; trial < 50; trial++) {
            float[] nz = MaskingStrategy.BLOCK.noise(2, 14, 49, rng);
            int high = 0;
            for (float v : nz) high += v >= 0.5f ? 1 : 0;
            assertEquals(2 * 147, high, "exactly 147 of 196 removed per image");
        }
        float[] small = MaskingStrategy.BLOCK.noise(4, 7, 12, rng);
        int high = 0;
        for (float v : small) high += v >= 0.5f ? 1 : 0;
        assertEquals(4 * 37, high);
        MaeConfig block = SMALL.withMasking(MaskingStrategy.BLOCK);
        MaskedAutoencoder m = new MaskedAutoencoder(block, be, new Rng(2));
        float[] mask = m.sampleMask(3).toArray();
        float sum = 0;
        for (float v : mask) sum += v;
        assertEquals(3 * 37, sum);
    }

    @Test
    void strategiesParseByName() {
        assertEquals(MaskingStrategy.GRID, MaskingStrategy.parse("grid"));
        var e = assertThrows(IllegalArgumentException.class, () -> MaskingStrategy.parse("stripes"));
        assertTrue(e.getMessage().contains("random, block, grid"));
    }
}
