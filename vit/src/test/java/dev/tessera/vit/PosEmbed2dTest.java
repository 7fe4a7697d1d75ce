package dev.tessera.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** docs/vit.md#position-embedding check values for D = 768 (Q = 192) on the 14×14 grid. */
class PosEmbed2dTest {
    private static final int D = 768, Q = 192, G = 14;
    private static final float[] MAE = PosEmbed2d.table(D, G, true, PosEmbed2d.Order.MAE);

    private static float at(float[] t, int row, int dim) {
        return t[row * D + dim];
    }

    /** Table row of patch (r, c): 1 (cls) + r·G + c. */
    private static int row(int r, int c) {
        return 1 + r * G + c;
    }

    @Test
    void shapeIsOnePlusLByD() {
        assertEquals((1 + G * G) * D, MAE.length);
    }

    @Test
    void clsRowIsZero() {
        for (int k = 0; k < D; k++) assertEquals(0f, at(MAE, 0, k), "cls row dim " + k);
    }

    @Test
    void patchZeroZeroIsSinZeroAndCosZero() {
        for (int k = 0; k < D; k++) {
            float expected = (k / Q) % 2 == 0 ? 0f : 1f; // [0,Q) 0, [Q,2Q) 1, [2Q,3Q) 0, [3Q,4Q) 1
            assertEquals(expected, at(MAE, row(0, 0), k), "patch (0,0) dim " + k);
        }
    }

    @Test
    void maeSecondHalfEncodesTheRow() {
        // MAE (r=1, c=0): dim 384 = sin(1·ω_0) = sin 1, dim 576 = cos 1; the column half is still sin 0 / cos 0.
        assertEquals(0.841471f, at(MAE, row(1, 0), 384), 1e-6f);
        assertEquals(0.540302f, at(MAE, row(1, 0), 576), 1e-6f);
        assertEquals(0f, at(MAE, row(1, 0), 0));
        assertEquals(1f, at(MAE, row(1, 0), 192));
    }

    @Test
    void maeFirstHalfEncodesTheColumnWithOmegaOne() {
        double omega1 = Math.pow(10000, -1.0 / 192);
        assertEquals(0.953162, omega1, 1e-6);
        assertEquals((float) Math.sin(omega1), at(MAE, row(0, 1), 1), 1e-7f);
        assertEquals((float) Math.cos(omega1), at(MAE, row(0, 1), Q + 1), 1e-7f);
        assertEquals((float) Math.sin(5 * omega1), at(MAE, row(3, 5), 1), 1e-7f);
        assertEquals((float) Math.sin(3 * omega1), at(MAE, row(3, 5), 2 * Q + 1), 1e-7f);
    }

    @Test
    void caeTableIsMaeWithHalvesSwapped() {
        float[] cae = PosEmbed2d.table(D, G, true, PosEmbed2d.Order.CAE);
        for (int r = 0; r < 1 + G * G; r++) {
            for (int k = 0; k < D / 2; k++) {
                assertEquals(at(MAE, r, k), at(cae, r, k + D / 2), 2e-6f, "row " + r + " dim " + k);
                assertEquals(at(MAE, r, k + D / 2), at(cae, r, k), 2e-6f, "row " + r + " dim " + (k + D / 2));
            }
        }
    }

    @Test
    void withoutClsRowThereAreLRows() {
        float[] t = PosEmbed2d.table(32, 7, false, PosEmbed2d.Order.MAE);
        assertEquals(49 * 32, t.length);
        float[] withCls = PosEmbed2d.table(32, 7, true, PosEmbed2d.Order.MAE);
        for (int i = 0; i < t.length; i++) assertEquals(withCls[32 + i], t[i]);
    }
}
