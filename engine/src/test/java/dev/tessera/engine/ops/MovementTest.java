package dev.tessera.engine.ops;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** Views and copies: forward values from index arithmetic written out by hand, gradients by finite differences. */
class MovementTest {
    final Backend be = Backends.cpu();

    /** x[i, j, k] of a row-major [a, b, c] array. */
    static float at(float[] x, int b, int c, int i, int j, int k) {
        return x[(i * b + j) * c + k];
    }

    @Test
    void reshapeKeepsRowMajorOrder() {
        Tensor x = GradCheck.random(be, 1, -1f, 1f, 2, 3, 4);
        Tensor y = x.reshape(4, -1);
        assertArrayEquals(new int[] {4, 6}, y.shape());
        assertClose("reshape", x.toArray(), y.toArray(), 0, 0);
        GradCheck.check("reshape", t -> t[0].reshape(6, 4), x);
        // Reshape of a non-contiguous tensor copies in the permuted order.
        float[] xv = x.toArray(), p = x.permute(2, 0, 1).reshape(4, 6).toArray();
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++) assertEquals(at(xv, 3, 4, i, j, k), p[k * 6 + i * 3 + j]);
        GradCheck.check("reshape of permute", t -> t[0].permute(2, 0, 1).reshape(-1, 3), x);
    }

    @Test
    void permuteTransposeAndContiguous() {
        Tensor x = GradCheck.random(be, 2, -1f, 1f, 2, 3, 4);
        float[] xv = x.toArray();
        Tensor p = x.permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertFalse(p.isContiguous());
        float[] pv = p.toArray();
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++) assertEquals(at(xv, 3, 4, i, j, k), pv[(k * 2 + i) * 3 + j]);
        float[] tv = x.transpose(0, -1).toArray(); // [4, 3, 2]
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++) assertEquals(at(xv, 3, 4, i, j, k), tv[(k * 3 + j) * 2 + i]);
        Tensor c = p.contiguous();
        assertTrue(c.isContiguous());
        assertClose("contiguous", pv, c.toArray(), 0, 0);
        GradCheck.check("permute", t -> t[0].permute(1, 2, 0), x);
        GradCheck.check("transpose", t -> t[0].transpose(1, 2), x);
        GradCheck.check("contiguous", t -> t[0].transpose(0, 1).contiguous(), x);
    }

    @Test
    void narrowOnContiguousAndStridedTensorsAndViewsOfViews() {
        Tensor x = GradCheck.random(be, 3, -1f, 1f, 4, 5);
        float[] xv = x.toArray();
        float[] n = x.narrow(1, 1, 3).toArray();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) assertEquals(xv[i * 5 + 1 + j], n[i * 3 + j]);
        // Narrow of a transposed view: rows 2..4 of xᵀ [5, 4] are columns 2..4 of x.
        float[] nt = x.transpose(0, 1).narrow(0, 2, 3).toArray();
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < 4; i++) assertEquals(xv[i * 5 + 2 + j], nt[j * 4 + i]);
        // A view of a view of a view: x[1:3, :] → ᵀ → [2:4, :] gives y[a, b] = x[1 + b, 2 + a].
        float[] vv = x.narrow(0, 1, 2).transpose(0, 1).narrow(0, 2, 2).toArray();
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) assertEquals(xv[(1 + b) * 5 + 2 + a], vv[a * 2 + b]);
        GradCheck.check("narrow", t -> t[0].narrow(1, 1, 3), x);
        GradCheck.check("narrow of transpose", t -> t[0].transpose(0, 1).narrow(0, 2, 3), x);
        GradCheck.check("view of view of view", t -> t[0].narrow(0, 1, 2).transpose(0, 1).narrow(0, 2, 2), x);
        ShapeException e = assertThrows(ShapeException.class, () -> x.narrow(1, 3, 3));
        assertTrue(e.getMessage().contains("narrow") && e.getMessage().contains("[4, 5]"), e.getMessage());
    }

    @Test
    void expandIsTheClsTokenParameterBroadcast() {
        // ViT's cls token [1, 1, D] is expanded to [N, 1, D]; its gradient is the sum over the N samples.
        Tensor cls = GradCheck.random(be, 4, -1f, 1f, 1, 1, 6);
        Tensor e = cls.expand(3, 1, 6);
        float[] cv = cls.toArray(), ev = e.toArray();
        for (int n = 0; n < 3; n++)
            for (int d = 0; d < 6; d++) assertEquals(cv[d], ev[n * 6 + d]);
        Tensor w = Tensor.of(be, new float[] {1, 2, 3}, 3, 1, 1);
        e.mul(w).sum().backward();
        float[] expected = new float[6];
        java.util.Arrays.fill(expected, 1 + 2 + 3);
        assertClose("d cls", expected, cls.grad().toArray(), 0, 0);
        GradCheck.check("expand", t -> t[0].expand(3, 1, 6), cls);
        GradCheck.check("expand adds axes", t -> t[0].reshape(6).expand(2, 3, 6), cls);
    }

    @Test
    void concatAndSplit() {
        Tensor a = GradCheck.random(be, 5, -1f, 1f, 2, 2, 3);
        Tensor b = GradCheck.random(be, 6, -1f, 1f, 2, 1, 3);
        float[] av = a.toArray(), bv = b.toArray(), c = Tensor.concat(1, a, b).toArray();
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 3; k++) {
                assertEquals(av[(i * 2) * 3 + k], c[(i * 3) * 3 + k]);
                assertEquals(av[(i * 2 + 1) * 3 + k], c[(i * 3 + 1) * 3 + k]);
                assertEquals(bv[i * 3 + k], c[(i * 3 + 2) * 3 + k]);
            }
        GradCheck.check("concat", t -> Tensor.concat(1, t[0], t[1]), a, b);
        // A strided part (a transposed view) is copied correctly.
        GradCheck.check("concat strided", t -> Tensor.concat(0, t[0].transpose(0, 1), t[1].reshape(1, 2, 3)), a, b);
        Tensor x = GradCheck.random(be, 7, -1f, 1f, 2, 5);
        Tensor[] parts = x.split(1, 2, 3);
        float[] xv = x.toArray(), p1 = parts[1].toArray();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) assertEquals(xv[i * 5 + 2 + j], p1[i * 3 + j]);
        GradCheck.check("split", t -> {
            Tensor[] s = t[0].split(1, 2, 3);
            return Tensor.concat(1, s[1], s[0].mul(2f));
        }, x);
        ShapeException e = assertThrows(ShapeException.class, () -> Tensor.concat(1, a, Tensor.zeros(be, 3, 1, 3)));
        assertTrue(e.getMessage().contains("concat") && e.getMessage().contains("[2, 2, 3]")
                && e.getMessage().contains("[3, 1, 3]"), e.getMessage());
        assertThrows(ShapeException.class, () -> x.split(1, 2, 2));
    }

    @Test
    void intTensorsSupportViewsAndMaterialise() {
        int[] ids = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        Tensor t = Tensor.ofInts(be, ids, 3, 4);
        // MAE's ids_keep = ids_shuffle[:, :len_keep] is a narrow of an int tensor.
        assertArrayEquals(new int[] {0, 1, 4, 5, 8, 9}, t.narrow(1, 0, 2).toIntArray());
        assertArrayEquals(new int[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, t.transpose(0, 1).toIntArray());
        Tensor r = t.transpose(0, 1).reshape(2, 6);
        assertTrue(r.isInt());
        assertArrayEquals(new int[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, r.toIntArray());
        assertArrayEquals(new int[] {5, 6, 5, 6}, t.narrow(0, 1, 1).narrow(1, 1, 2).expand(2, 2).toIntArray());
        assertThrows(IllegalArgumentException.class, () -> t.requiresGrad(true));
    }

    @Test
    void zeroSizeDimensions() {
        Tensor x = GradCheck.random(be, 8, -1f, 1f, 3, 4);
        Tensor empty = x.narrow(1, 4, 0);
        assertArrayEquals(new int[] {3, 0}, empty.shape());
        assertEquals(0, empty.toArray().length);
        // An empty window at the end of a strided parent (start·stride past its buffer).
        // x[:, 0:1] spans 9 buffer elements; x[:, 0:1][3:3] would start at 3·4 = 12.
        Tensor e2 = x.narrow(1, 0, 1).narrow(0, 3, 0);
        assertArrayEquals(new int[] {0, 1}, e2.shape());
        assertEquals(0, e2.transpose(0, 1).contiguous().toArray().length);
        Tensor c = Tensor.concat(1, x, empty);
        assertClose("concat with empty part", x.toArray(), c.toArray(), 0, 0);
        GradCheck.check("concat with empty part", t -> Tensor.concat(1, t[0].narrow(1, 0, 0), t[0]), x);
        assertArrayEquals(new int[] {0, 3}, Tensor.zeros(be, 3, 0).reshape(0, 3).shape());
        assertClose("sum over empty axis", new float[] {0, 0, 0}, empty.sum(1, false).toArray(), 0, 0);
    }

    @Test
    void errorsNameOpAndShapes() {
        Tensor x = Tensor.zeros(be, 2, 3);
        ShapeException r = assertThrows(ShapeException.class, () -> x.reshape(4, 2));
        assertTrue(r.getMessage().contains("reshape") && r.getMessage().contains("[2, 3]")
                && r.getMessage().contains("[4, 2]"), r.getMessage());
        ShapeException p = assertThrows(ShapeException.class, () -> x.permute(0, 0));
        assertTrue(p.getMessage().contains("permute"), p.getMessage());
        ShapeException e = assertThrows(ShapeException.class, () -> x.expand(2, 4));
        assertTrue(e.getMessage().contains("expand") && e.getMessage().contains("[2, 3]")
                && e.getMessage().contains("[2, 4]"), e.getMessage());
    }
}
