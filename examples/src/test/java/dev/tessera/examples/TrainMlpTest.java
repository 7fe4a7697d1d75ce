package dev.tessera.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TrainMlpTest {

    @Test
    void learnsTheTwoMoons() {
        var text = new ByteArrayOutputStream();
        TrainMlp.Result r = TrainMlp.train(300, new PrintStream(text, true, StandardCharsets.UTF_8));
        float first = r.losses()[0], last = r.losses()[r.losses().length - 1];
        // Two balanced classes and small initial logits: the first loss is near ln 2.
        assertEquals(Math.log(2), first, 0.3, "initial cross-entropy");
        // The moons interleave, so no linear boundary gets below ~0.3; the MLP must bend its boundary.
        assertTrue(last < 0.05f, "final loss " + last + " should be below 0.05");
        assertTrue(r.accuracy() >= 0.98, "training accuracy " + r.accuracy());
        Tour.assertTranscript("TrainMlp", text.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theDataIsNotLinearlySeparable() {
        // The reason the example needs hidden layers: the best straight line (least squares on ±1 targets, which
        // is what a linear classifier's boundary would be near) misclassifies a good share of the points.
        int n = 256;
        float[] p = new float[2 * n];
        int[] y = new int[n];
        TwoMoons.fill(p, y, 0.1f, new dev.tessera.engine.random.Rng(0));
        double[][] a = new double[3][3];
        double[] b = new double[3];
        for (int i = 0; i < n; i++) {
            double[] f = {p[2 * i], p[2 * i + 1], 1};
            double t = y[i] == 1 ? 1 : -1;
            for (int r = 0; r < 3; r++) {
                b[r] += f[r] * t;
                for (int c = 0; c < 3; c++) a[r][c] += f[r] * f[c];
            }
        }
        double[] w = solve3(a, b);
        int right = 0;
        for (int i = 0; i < n; i++) right += ((w[0] * p[2 * i] + w[1] * p[2 * i + 1] + w[2] > 0) ? 1 : 0) == y[i] ? 1 : 0;
        double acc = right / (double) n;
        assertTrue(acc < 0.9, "a straight line already separates " + acc + " of the points; the example would prove nothing");
    }

    private static double[] solve3(double[][] a, double[] b) {
        double det = det(a[0][0], a[0][1], a[0][2], a[1][0], a[1][1], a[1][2], a[2][0], a[2][1], a[2][2]);
        double[] x = new double[3];
        for (int k = 0; k < 3; k++) {
            double[][] m = {a[0].clone(), a[1].clone(), a[2].clone()};
            for (int r = 0; r < 3; r++) m[r][k] = b[r];
            x[k] = det(m[0][0], m[0][1], m[0][2], m[1][0], m[1][1], m[1][2], m[2][0], m[2][1], m[2][2]) / det;
        }
        return x;
    }

    private static double det(double a, double b, double c, double d, double e, double f, double g, double h, double i) {
        return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    }
}
