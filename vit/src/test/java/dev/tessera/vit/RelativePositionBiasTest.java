package dev.tessera.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.optim.LayerDecay;
import dev.tessera.engine.optim.ParamGroup;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** BEiT's relative position bias: the index, the biased attention and its gradient, names and groups. */
class RelativePositionBiasTest {
    private final Backend be = Backends.cpu();

    @Test
    void indexOfTwoByTwoGridIsBeits() {
        // G = 2: 9 offsets + 3 → R = 12. Patch (r, c) raster 0..3; offset (Δr+1)·3 + (Δc+1).
        int[] idx = RelativePositionBias.index(2);
        assertEquals(12, RelativePositionBias.rows(2));
        int[] expected = {
                11, 9, 9, 9, 9,          // cls → cls, cls → each patch
                10, 4, 3, 1, 0,          // patch 0 (0,0) → cls, → (0,0) (0,1) (1,0) (1,1)
                10, 5, 4, 2, 1,          // patch 1 (0,1)
                10, 7, 6, 4, 3,          // patch 2 (1,0)
                10, 8, 7, 5, 4};         // patch 3 (1,1)
        assertArrayEquals(expected, idx);
    }

    @Test
    void everyTableRowIsUsedAtFourteen() {
        int[] idx = RelativePositionBias.index(14);
        assertEquals(197 * 197, idx.length);
        boolean[] seen = new boolean[RelativePositionBias.rows(14)];
        for (int i : idx) seen[i] = true;
        for (int r = 0; r < seen.length; r++) assertTrue(seen[r], "row " + r + " of " + seen.length + " unused");
        assertEquals(732, seen.length);                                  // (2·14−1)² + 3, the count
    }

    @Test
    void biasAddGradcheck() {
        // Gradient of softmax(q·kᵀ·s + table[index])·v in the table and in q, k, v: the bias-add path end to end.
        int grid = 2, heads = 2, t = 5, dh = 3;
        RelativePositionBias rpb = new RelativePositionBias(be, grid, heads);
        Tensor table = GradCheck.random(be, 1, -0.5f, 0.5f, RelativePositionBias.rows(grid), heads);
        Tensor q = GradCheck.random(be, 2, -1f, 1f, 2, heads, t, dh);
        Tensor k = GradCheck.random(be, 3, -1f, 1f, 2, heads, t, dh);
        Tensor v = GradCheck.random(be, 4, -1f, 1f, 2, heads, t, dh);
        GradCheck.check("relative position bias", in -> in[1].matmul(in[2].transpose(2, 3)).mul(0.5f)
                .add(rpb.bias(in[0])).softmax(3).matmul(in[3]), table, q, k, v);
    }

    @Test
    void zeroTableEqualsPlainAttentionAndNonZeroChangesIt() {
        Attention plain = new Attention(be, 8, 2, false, true, new Rng(5));
        Attention biased = new Attention(be, 8, 2, false, true, 2, new Rng(5));
        Tensor x = Tensor.of(be, new Rng(9).normal(2 * 5 * 8, 0f, 1f), 2, 5, 8);
        float[] a = plain.forward(x).toArray(), b = biased.forward(x).toArray();
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5f, "element " + i);
        Parameter table = biased.relativePositionBiasTable();
        table.tensor().copyFrom(new Rng(3).normal(table.numel(), 0f, 1f));
        assertNotEquals(a[0], biased.forward(x).toArray()[0], 1e-4f);
    }

    @Test
    void perBlockNamesDecayedAndInTheBlocksLayerGroup() {
        ViTConfig cfg = ViTConfig.of(28, 4, 1, 32, 3, 2).withQvBias(true).withNumClasses(10).withPool(Pool.AVG)
                .withRelPosBias(true);
        VisionTransformer vit = new VisionTransformer(cfg, be, new Rng(0));
        LayerDecay ld = new LayerDecay(3, 0.65);
        for (int i = 0; i < 3; i++) {
            String n = "blocks." + i + ".attn.relative_position_bias_table";
            Parameter p = vit.namedParameters().get(n);
            assertArrayEquals(new int[] {RelativePositionBias.rows(7), 2}, p.tensor().shape(), n);
            assertTrue(p.trainable(), n);
            assertArrayEquals(new float[p.numel()], p.tensor().toArray(), n + " starts at zero");
            assertTrue(ParamGroup.decays(n, 2, Set.of()), n + " is weight-decayed (2-D, not in no_weight_decay)");
            assertEquals(i + 1, ld.layerId(n));
        }
        assertTrue(cfg.describe().contains("relative position bias"));
        assertEquals(false, cfg.asEncoder().relPosBias());
    }

    @Test
    void refusesASubsetOfTokens() {
        Attention biased = new Attention(be, 8, 2, false, true, 2, new Rng(5));
        Tensor x = Tensor.zeros(be, 1, 3, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> biased.forward(x));
        assertTrue(e.getMessage().contains("5 tokens"), e.getMessage());
    }
}
