package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.testing.Close.assertClose;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The layer-norm reference against the definition in double: forward values and saved statistics, and the
 * backward kernel against central differences of that double definition (h = 1e-4, so the numeric
 * derivative is accurate to ~1e-8 and the tolerance only has to cover the kernel's float output).
 */
class LayerNormCpuTest {
    static final Parallel PAR = new Parallel(2);
    static final int ROWS = 6, COLS = 7;
    static final double EPS = 1e-5;

    @AfterAll
    static void close() {
        PAR.close();
    }

    static float[] random(long seed, int n, double lo, double hi) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return v;
    }

    /** Σ_rows,cols LN(x; w, b)·R in double. */
    static double projected(double[] x, double[] w, double[] b, float[] r) {
        double s = 0;
        for (int row = 0; row < ROWS; row++) {
            double mu = 0, var = 0;
            for (int c = 0; c < COLS; c++) mu += x[row * COLS + c];
            mu /= COLS;
            for (int c = 0; c < COLS; c++) var += Math.pow(x[row * COLS + c] - mu, 2);
            double rs = 1 / Math.sqrt(var / COLS + EPS);
            for (int c = 0; c < COLS; c++) s += ((x[row * COLS + c] - mu) * rs * w[c] + b[c]) * r[row * COLS + c];
        }
        return s;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** Central differences of {@link #projected} with respect to one of x (0), w (1), b (2). */
    static float[] numeric(int which, float[] x, float[] w, float[] b, float[] r) {
        double[][] args = {toDouble(x), toDouble(w), toDouble(b)};
        double[] t = args[which];
        float[] g = new float[t.length];
        double h = 1e-4;
        for (int i = 0; i < t.length; i++) {
            double o = t[i];
            t[i] = o + h;
            double lp = projected(args[0], args[1], args[2], r);
            t[i] = o - h;
            double lm = projected(args[0], args[1], args[2], r);
            t[i] = o;
            g[i] = (float) ((lp - lm) / (2 * h));
        }
        return g;
    }

    @Test
    void forwardMatchesTheDefinitionAndSavesStatistics() {
        float[] x = random(1, ROWS * COLS, -3, 3), w = random(2, COLS, 0.5, 1.5), b = random(3, COLS, -1, 1);
        // Offsets of 3, 1, 2 … check that every array is addressed through its offset.
        float[] xs = new float[3 + x.length], ws = new float[1 + COLS], bs = new float[2 + COLS];
        System.arraycopy(x, 0, xs, 3, x.length);
        System.arraycopy(w, 0, ws, 1, COLS);
        System.arraycopy(b, 0, bs, 2, COLS);
        float[] y = new float[ROWS * COLS + 4], mean = new float[ROWS + 1], rstd = new float[ROWS + 2];
        LayerNormCpu.forward(PAR, xs, 3, ws, 1, bs, 2, y, 4, mean, 1, rstd, 2, ROWS, COLS, (float) EPS);
        float[] ey = new float[ROWS * COLS + 4], em = new float[ROWS + 1], er = new float[ROWS + 2];
        for (int row = 0; row < ROWS; row++) {
            double mu = 0, var = 0;
            for (int c = 0; c < COLS; c++) mu += x[row * COLS + c];
            mu /= COLS;
            for (int c = 0; c < COLS; c++) var += Math.pow(x[row * COLS + c] - mu, 2);
            double rs = 1 / Math.sqrt(var / COLS + EPS);
            em[1 + row] = (float) mu;
            er[2 + row] = (float) rs;
            for (int c = 0; c < COLS; c++) ey[4 + row * COLS + c] = (float) ((x[row * COLS + c] - mu) * rs * w[c] + b[c]);
        }
        assertClose("y", ey, y, 1e-6, 1e-6);
        assertClose("mean", em, mean, 1e-7, 1e-6);
        assertClose("rstd", er, rstd, 1e-7, 1e-6);
    }

    @Test
    void backwardMatchesFiniteDifferencesAndAccumulates() {
        float[] x = random(4, ROWS * COLS, -3, 3), w = random(5, COLS, 0.5, 1.5), b = random(6, COLS, -1, 1);
        float[] r = random(7, ROWS * COLS, -1, 1);
        float[] y = new float[x.length], mean = new float[ROWS], rstd = new float[ROWS];
        LayerNormCpu.forward(PAR, x, 0, w, 0, b, 0, y, 0, mean, 0, rstd, 0, ROWS, COLS, (float) EPS);
        // Gradient buffers start at 1: backward must add, not overwrite.
        float[] dx = ones(x.length), dw = ones(COLS), db = ones(COLS);
        LayerNormCpu.backward(PAR, r, 0, x, 0, w, 0, mean, 0, rstd, 0, dx, 0, dw, 0, db, 0, ROWS, COLS);
        assertClose("dx", plusOne(numeric(0, x, w, b, r)), dx, 2e-5, 1e-4);
        assertClose("dw", plusOne(numeric(1, x, w, b, r)), dw, 2e-5, 1e-4);
        assertClose("db", plusOne(numeric(2, x, w, b, r)), db, 2e-5, 1e-4);
        // Null gradient buffers are skipped.
        float[] dxOnly = new float[x.length];
        LayerNormCpu.backward(PAR, r, 0, x, 0, w, 0, mean, 0, rstd, 0, dxOnly, 0, null, 0, null, 0, ROWS, COLS);
        assertClose("dx alone", numeric(0, x, w, b, r), dxOnly, 2e-5, 1e-4);
    }

    static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    static float[] plusOne(float[] a) {
        for (int i = 0; i < a.length; i++) a[i] += 1f;
        return a;
    }
}
