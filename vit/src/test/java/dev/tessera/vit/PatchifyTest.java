package dev.tessera.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import org.junit.jupiter.api.Test;

/** docs/mae.md#patchify: patch n = r·G + c, vector index (i·p + j)·C + ch (channel last); unpatchify is the inverse. */
class PatchifyTest {
    private final Backend be = Backends.cpu();

    /** Every pixel gets a distinct value that encodes its coordinates. */
    private static float code(int n, int ch, int y, int x) {
        return n * 1_000_000 + ch * 10_000 + y * 100 + x;
    }

    private Tensor codedImages(int n, int c, int h) {
        float[] v = new float[n * c * h * h];
        for (int a = 0; a < n; a++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < h; x++) v[((a * c + ch) * h + y) * h + x] = code(a, ch, y, x);
        return Tensor.of(be, v, n, c, h, h);
    }

    @Test
    void indexOrderIsRasterPatchesThenRowColumnChannel() {
        int n = 2, c = 3, p = 4, g = 3, h = g * p;
        Tensor x = Patchify.patchify(codedImages(n, c, h), p);
        assertArrayEquals(new int[] {n, g * g, p * p * c}, x.shape());
        float[] v = x.toArray();
        for (int a = 0; a < n; a++)
            for (int r = 0; r < g; r++)
                for (int col = 0; col < g; col++)
                    for (int i = 0; i < p; i++)
                        for (int j = 0; j < p; j++)
                            for (int ch = 0; ch < c; ch++) {
                                int idx = (a * g * g + r * g + col) * p * p * c + (i * p + j) * c + ch;
                                assertEquals(code(a, ch, r * p + i, col * p + j), v[idx]);
                            }
    }

    @Test
    void unpatchifyInvertsPatchify() {
        Tensor imgs = codedImages(2, 3, 12);
        Tensor back = Patchify.unpatchify(Patchify.patchify(imgs, 4), 4, 3);
        assertArrayEquals(imgs.shape(), back.shape());
        assertArrayEquals(imgs.toArray(), back.toArray());
        Tensor x = Patchify.patchify(imgs, 4);
        assertArrayEquals(x.toArray(), Patchify.patchify(Patchify.unpatchify(x, 4, 3), 4).toArray());
    }

    @Test
    void gradientOfPatchifyIsUnpatchify() {
        Tensor imgs = Tensor.of(be, new float[1 * 2 * 8 * 8], 1, 2, 8, 8).requiresGrad(true);
        float[] r = new float[1 * 4 * 32];
        for (int i = 0; i < r.length; i++) r[i] = i * 0.5f - 3;
        Tensor rt = Tensor.of(be, r, 1, 4, 32);
        Patchify.patchify(imgs, 4).mul(rt).sum().backward();
        assertArrayEquals(Patchify.unpatchify(rt, 4, 2).toArray(), imgs.grad().toArray());
    }

    @Test
    void badShapesAreRejectedWithTheShape() {
        var e = assertThrows(ShapeException.class, () -> Patchify.patchify(Tensor.zeros(be, 1, 1, 28, 27), 4));
        assertEquals(true, e.getMessage().contains("[1, 1, 28, 27]"), e.getMessage());
        assertThrows(ShapeException.class, () -> Patchify.unpatchify(Tensor.zeros(be, 1, 48, 16), 4, 1));
    }
}
