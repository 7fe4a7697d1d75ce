package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.testing.Close.assertClose;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The Vector API layer norm against its oracle {@link LayerNormCpu} (statistics in double): outputs, saved
 * mean/rstd and the accumulated gradients, at the preset widths (192, 128) and at widths that leave a scalar
 * tail or have no full vector at all; inputs with a large common offset check that the two-pass variance
 * holds up in float.
 */
class LayerNormCpuFastTest {
    static final Parallel PAR = new Parallel(2);

    @AfterAll
    static void close() {
        PAR.close();
    }

    @Test
    void matchesTheOracle() {
        int[][] shapes = {{333, 192}, {100, 128}, {17, 203}, {9, 7}, {40, 1}, {5, 48}};
        for (int[] s : shapes) {
            check(s[0], s[1], 0f);
            check(s[0], s[1], 50f);
        }
    }

    static void check(int rows, int cols, float offset) {
        String what = "[" + rows + ", " + cols + "] offset " + offset + " ";
        float[] x = LayerNormCpuTest.random(rows + cols, rows * cols + 2, -3, 3);
        for (int i = 0; i < x.length; i++) x[i] += offset;
        float[] w = LayerNormCpuTest.random(2, cols + 1, 0.5, 1.5), b = LayerNormCpuTest.random(3, cols + 1, -1, 1);
        float[] dy = LayerNormCpuTest.random(4, rows * cols + 2, -1, 1);
        float eps = 1e-6f;
        float[] y0 = new float[rows * cols + 1], m0 = new float[rows], r0 = new float[rows];
        float[] y1 = new float[rows * cols + 1], m1 = new float[rows], r1 = new float[rows];
        LayerNormCpu.forward(PAR, x, 2, w, 1, b, 1, y0, 1, m0, 0, r0, 0, rows, cols, eps);
        LayerNormCpuFast.forward(PAR, x, 2, w, 1, b, 1, y1, 1, m1, 0, r1, 0, rows, cols, eps);
        assertClose(what + "y", y0, y1, 2e-6, 1e-5);
        assertClose(what + "mean", m0, m1, 1e-6, 1e-6);
        assertClose(what + "rstd", r0, r1, 1e-6, 1e-5);
        float[] dx0 = LayerNormCpuTest.random(5, rows * cols, -1, 1), dx1 = dx0.clone();
        float[] dw0 = LayerNormCpuTest.random(6, cols, -1, 1), dw1 = dw0.clone();
        float[] db0 = LayerNormCpuTest.random(7, cols, -1, 1), db1 = db0.clone();
        LayerNormCpu.backward(PAR, dy, 2, x, 2, w, 1, m0, 0, r0, 0, dx0, 0, dw0, 0, db0, 0, rows, cols);
        LayerNormCpuFast.backward(PAR, dy, 2, x, 2, w, 1, m0, 0, r0, 0, dx1, 0, dw1, 0, db1, 0, rows, cols);
        assertClose(what + "dx", dx0, dx1, 1e-5, 1e-4);
        assertClose(what + "dw", dw0, dw1, 0, 0);     // the oracle's column-sum arithmetic, on double lanes
        assertClose(what + "db", db0, db1, 0, 0);
        // one thread or three: other strips, the same bits
        float[] dx3 = LayerNormCpuTest.random(5, rows * cols, -1, 1), dw3 = LayerNormCpuTest.random(6, cols, -1, 1);
        float[] db3 = LayerNormCpuTest.random(7, cols, -1, 1);
        try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
            LayerNormCpuFast.backward(rows % 2 == 0 ? one : three, dy, 2, x, 2, w, 1, m0, 0, r0, 0, dx3, 0, dw3, 0, db3, 0, rows, cols);
        }
        assertClose(what + "dx, other thread count", dx1, dx3, 0, 0);
        assertClose(what + "dw, other thread count", dw1, dw3, 0, 0);
        assertClose(what + "db, other thread count", db1, db3, 0, 0);
        float[] dxOnly = new float[rows * cols], dxRef = new float[rows * cols];
        LayerNormCpuFast.backward(PAR, dy, 2, x, 2, w, 1, m0, 0, r0, 0, dxOnly, 0, null, 0, null, 0, rows, cols);
        LayerNormCpu.backward(PAR, dy, 2, x, 2, w, 1, m0, 0, r0, 0, dxRef, 0, null, 0, null, 0, rows, cols);
        assertClose(what + "dx alone", dxRef, dxOnly, 1e-5, 1e-4);
    }
}
