package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.testing.Close.assertClose;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Softmax / log-softmax reference against the definition in double, backward against central differences. */
class SoftmaxCpuTest {
    static final Parallel PAR = new Parallel(2);
    static final int ROWS = 5, COLS = 9;

    @AfterAll
    static void close() {
        PAR.close();
    }

    static double[] definition(double[] x, boolean log) {
        double[] y = new double[x.length];
        for (int r = 0; r < ROWS; r++) {
            double m = Double.NEGATIVE_INFINITY, z = 0;
            for (int c = 0; c < COLS; c++) m = Math.max(m, x[r * COLS + c]);
            for (int c = 0; c < COLS; c++) z += Math.exp(x[r * COLS + c] - m);
            for (int c = 0; c < COLS; c++) {
                double v = x[r * COLS + c] - m;
                y[r * COLS + c] = log ? v - Math.log(z) : Math.exp(v) / z;
            }
        }
        return y;
    }

    @Test
    void forwardMatchesTheDefinition() {
        float[] x = LayerNormCpuTest.random(1, ROWS * COLS, -5, 5);
        x[3] = 80f; // exp(80) overflows float: only the max-subtracted form survives
        for (boolean log : new boolean[] {false, true}) {
            float[] y = new float[ROWS * COLS + 2];
            float[] xs = new float[ROWS * COLS + 1];
            System.arraycopy(x, 0, xs, 1, x.length);
            SoftmaxCpu.forward(PAR, xs, 1, y, 2, ROWS, COLS, log);
            double[] e = definition(LayerNormCpuTest.toDouble(x), log);
            float[] ef = new float[ROWS * COLS + 2];
            for (int i = 0; i < e.length; i++) ef[2 + i] = (float) e[i];
            assertClose(log ? "logSoftmax" : "softmax", ef, y, 1e-6, 1e-6);
        }
    }

    @Test
    void backwardMatchesFiniteDifferencesAndAccumulates() {
        float[] x = LayerNormCpuTest.random(2, ROWS * COLS, -3, 3), r = LayerNormCpuTest.random(3, ROWS * COLS, -1, 1);
        for (boolean log : new boolean[] {false, true}) {
            float[] y = new float[x.length];
            SoftmaxCpu.forward(PAR, x, 0, y, 0, ROWS, COLS, log);
            float[] dx = LayerNormCpuTest.ones(x.length);
            SoftmaxCpu.backward(PAR, r, 0, y, 0, dx, 0, ROWS, COLS, log);
            double[] xd = LayerNormCpuTest.toDouble(x);
            float[] numeric = new float[x.length];
            double h = 1e-5;
            for (int i = 0; i < x.length; i++) {
                double o = xd[i];
                xd[i] = o + h;
                double lp = dot(definition(xd, log), r);
                xd[i] = o - h;
                double lm = dot(definition(xd, log), r);
                xd[i] = o;
                numeric[i] = (float) ((lp - lm) / (2 * h)) + 1f;
            }
            assertClose((log ? "logSoftmax" : "softmax") + " dx", numeric, dx, 2e-5, 1e-4);
        }
    }

    static double dot(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
