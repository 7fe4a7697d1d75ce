package dev.tessera.engine.ops;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

class GatherOpTest {
    final Backend be = Backends.cpu();

    @Test
    void gatherTokensAlongAxisOneAsMaeDoes() {
        // x [N=2, L=5, D=3]; index [2, 4] with a repeat in sample 1.
        Tensor x = GradCheck.random(be, 1, -1f, 1f, 2, 5, 3);
        int[] ids = {4, 0, 2, 1, 3, 3, 0, 4};
        Tensor index = Tensor.ofInts(be, ids, 2, 4);
        Tensor y = x.gather(1, index);
        assertArrayEquals(new int[] {2, 4, 3}, y.shape());
        float[] xv = x.toArray(), yv = y.toArray();
        for (int n = 0; n < 2; n++)
            for (int j = 0; j < 4; j++)
                for (int c = 0; c < 3; c++) assertEquals(xv[(n * 5 + ids[n * 4 + j]) * 3 + c], yv[(n * 4 + j) * 3 + c]);
        GradCheck.check("gather axis 1", t -> t[0].gather(1, index), x);
    }

    @Test
    void gatherOnFirstAndLastAxes() {
        Tensor x = GradCheck.random(be, 2, -1f, 1f, 5, 3);
        int[] rows = {2, 2, 4};
        float[] xv = x.toArray(), r = x.gather(0, Tensor.ofInts(be, rows, 3)).toArray();
        for (int j = 0; j < 3; j++) for (int c = 0; c < 3; c++) assertEquals(xv[rows[j] * 3 + c], r[j * 3 + c]);
        GradCheck.check("gather axis 0", t -> t[0].gather(0, Tensor.ofInts(be, rows, 3)), x);
        // Last axis: index [5, 2] selects two columns per row (torch.gather semantics).
        int[] cols = {0, 2, 1, 1, 2, 0, 0, 0, 1, 2};
        float[] c = x.gather(-1, Tensor.ofInts(be, cols, 5, 2)).toArray();
        for (int i = 0; i < 5; i++) for (int j = 0; j < 2; j++) assertEquals(xv[i * 3 + cols[i * 2 + j]], c[i * 2 + j]);
        GradCheck.check("gather last axis", t -> t[0].gather(1, Tensor.ofInts(be, cols, 5, 2)), x);
    }

    @Test
    void scatterAddSumsRepeatsAndIsTheAdjointOfGather() {
        Tensor x = GradCheck.random(be, 3, -1f, 1f, 2, 4, 3);
        int[] ids = {1, 1, 0, 3, 2, 0, 2, 2};
        Tensor index = Tensor.ofInts(be, ids, 2, 4);
        Tensor s = x.scatterAdd(1, index, 5);
        assertArrayEquals(new int[] {2, 5, 3}, s.shape());
        float[] xv = x.toArray(), expected = new float[30];
        for (int n = 0; n < 2; n++)
            for (int j = 0; j < 4; j++)
                for (int c = 0; c < 3; c++) expected[(n * 5 + ids[n * 4 + j]) * 3 + c] += xv[(n * 4 + j) * 3 + c];
        assertClose("scatterAdd", expected, s.toArray(), 1e-7, 0);
        GradCheck.check("scatterAdd", t -> t[0].scatterAdd(1, index, 5), x);
        // <gather(y), x> = <y, scatterAdd(x)> for every x, y.
        Tensor y = GradCheck.random(be, 4, -1f, 1f, 2, 5, 3);
        double lhs = 0, rhs = 0;
        float[] g = y.gather(1, index).toArray(), yv = y.toArray(), sv = s.toArray();
        for (int i = 0; i < g.length; i++) lhs += (double) g[i] * xv[i];
        for (int i = 0; i < yv.length; i++) rhs += (double) yv[i] * sv[i];
        assertEquals(lhs, rhs, 1e-5);
    }

    @Test
    void stridedIndexFromANarrowedIdsShuffle() {
        // ids_keep = ids_shuffle[:, :2] is a non-contiguous int view.
        Tensor x = GradCheck.random(be, 5, -1f, 1f, 2, 4, 2);
        Tensor shuffle = Tensor.ofInts(be, new int[] {3, 1, 0, 2, 2, 0, 3, 1}, 2, 4);
        Tensor keep = shuffle.narrow(1, 0, 2);
        float[] xv = x.toArray(), y = x.gather(1, keep).toArray();
        int[] kept = {3, 1, 2, 0};
        for (int n = 0; n < 2; n++)
            for (int j = 0; j < 2; j++)
                for (int c = 0; c < 2; c++) assertEquals(xv[(n * 4 + kept[n * 2 + j]) * 2 + c], y[(n * 2 + j) * 2 + c]);
        GradCheck.check("gather strided index", t -> t[0].gather(1, keep), x);
    }

    @Test
    void errorsNameShapesAndIndices() {
        Tensor x = Tensor.zeros(be, 2, 5, 3);
        ShapeException e = assertThrows(ShapeException.class, () -> x.gather(1, Tensor.ofInts(be, new int[6], 3, 2)));
        assertTrue(e.getMessage().contains("gather") && e.getMessage().contains("[3, 2]")
                && e.getMessage().contains("[2, 5, 3]") && e.getMessage().contains("[2, K]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> x.gather(1, Tensor.zeros(be, 2, 2)));
        IndexOutOfBoundsException o = assertThrows(IndexOutOfBoundsException.class,
                () -> x.gather(1, Tensor.ofInts(be, new int[] {0, 5}, 2, 1)));
        assertTrue(o.getMessage().contains("5") && o.getMessage().contains("[0, 5)"), o.getMessage());
        assertThrows(IndexOutOfBoundsException.class,
                () -> Tensor.zeros(be, 2, 1, 3).scatterAdd(1, Tensor.ofInts(be, new int[] {0, -1}, 2, 1), 4));
        e = assertThrows(ShapeException.class, () -> x.scatterAdd(1, Tensor.ofInts(be, new int[4], 2, 2), 6));
        assertEquals("scatterAdd: input [2, 5, 3] has 5 rows on axis 1 for an index [2, 2] of 2", e.getMessage());
    }
}
