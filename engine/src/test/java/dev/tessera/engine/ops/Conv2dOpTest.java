package dev.tessera.engine.ops;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

class Conv2dOpTest {
    final Backend be = Backends.cpu();

    /** The defining sum, in double: out[n,o,y,x] = b[o] + Σ_{c,i,j} w[o,c,i,j]·xpad[n, c, y·s + i − p, x·s + j − p]. */
    static float[] reference(float[] x, int n, int c, int h, int w, float[] wt, int o, int kh, int kw, float[] b, int s, int p) {
        int ho = (h + 2 * p - kh) / s + 1, wo = (w + 2 * p - kw) / s + 1;
        float[] out = new float[n * o * ho * wo];
        for (int a = 0; a < n; a++)
            for (int f = 0; f < o; f++)
                for (int y = 0; y < ho; y++)
                    for (int z = 0; z < wo; z++) {
                        double acc = b == null ? 0 : b[f];
                        for (int ch = 0; ch < c; ch++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int yy = y * s + i - p, xx = z * s + j - p;
                                    if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                                    acc += (double) wt[((f * c + ch) * kh + i) * kw + j] * x[((a * c + ch) * h + yy) * w + xx];
                                }
                        out[((a * o + f) * ho + y) * wo + z] = (float) acc;
                    }
        return out;
    }

    void forwardAndGradients(long seed, int n, int c, int h, int w, int o, int kh, int kw, boolean bias, int s, int p) {
        Tensor x = GradCheck.random(be, seed, -1f, 1f, n, c, h, w);
        Tensor wt = GradCheck.random(be, seed + 1, -0.5f, 0.5f, o, c, kh, kw);
        Tensor b = bias ? GradCheck.random(be, seed + 2, -0.5f, 0.5f, o) : null;
        Tensor y = Conv2dOp.conv2d(x, wt, b, s, p);
        int ho = (h + 2 * p - kh) / s + 1, wo = (w + 2 * p - kw) / s + 1;
        assertArrayEquals(new int[] {n, o, ho, wo}, y.shape());
        assertClose("conv2d " + kh + "x" + kw + " s" + s + " p" + p, reference(x.toArray(), n, c, h, w, wt.toArray(), o, kh, kw,
                bias ? b.toArray() : null, s, p), y.toArray(), 1e-5, 1e-5);
        String name = "conv2d " + kh + "x" + kw + " stride " + s + " pad " + p + (bias ? " bias" : "");
        if (bias) GradCheck.check(name, t -> Conv2dOp.conv2d(t[0], t[1], t[2], s, p), x, wt, b);
        else GradCheck.check(name, t -> Conv2dOp.conv2d(t[0], t[1], null, s, p), x, wt);
    }

    @Test
    void threeByThreeSamePaddingAsTheDalleResidualPath() {
        forwardAndGradients(1, 2, 3, 5, 6, 4, 3, 3, true, 1, 1);
    }

    @Test
    void sevenBySevenInputConvWithPaddingThree() {
        forwardAndGradients(2, 1, 3, 8, 7, 2, 7, 7, true, 1, 3);
    }

    @Test
    void pointwiseConvSkipsIm2col() {
        forwardAndGradients(3, 2, 5, 3, 4, 3, 1, 1, true, 1, 0);
        forwardAndGradients(4, 2, 5, 3, 4, 3, 1, 1, false, 1, 0);
    }

    @Test
    void stridedConvWithAndWithoutPaddingAndRectangularKernel() {
        forwardAndGradients(5, 2, 2, 7, 6, 3, 3, 2, false, 2, 0);
        forwardAndGradients(6, 1, 2, 6, 5, 2, 3, 3, true, 2, 1);
    }

    @Test
    void gradientsAccumulateOverTwoUses() {
        // x feeds two convolutions: the tape adds both gradients; the adding path (col2im) must add, not overwrite.
        Tensor x = GradCheck.random(be, 7, -1f, 1f, 1, 2, 4, 4);
        Tensor w1 = GradCheck.random(be, 8, -0.5f, 0.5f, 2, 2, 3, 3), w2 = GradCheck.random(be, 9, -0.5f, 0.5f, 2, 2, 1, 1);
        GradCheck.check("conv2d twice", t -> Conv2dOp.conv2d(t[0], t[1], null, 1, 1).add(Conv2dOp.conv2d(t[0], t[2], null, 1, 0)),
                x, w1, w2);
    }

    @Test
    void badShapesNameTheTensors() {
        Tensor x = Tensor.zeros(be, 1, 3, 4, 4), w = Tensor.zeros(be, 2, 2, 3, 3);
        var e = assertThrows(ShapeException.class, () -> Conv2dOp.conv2d(x, w, null, 1, 1));
        assertTrue(e.getMessage().contains("[1, 3, 4, 4]") && e.getMessage().contains("[2, 2, 3, 3]"), e.getMessage());
        assertThrows(ShapeException.class, () -> Conv2dOp.conv2d(x, Tensor.zeros(be, 2, 3, 7, 7), null, 1, 0));
        assertThrows(ShapeException.class, () -> Conv2dOp.conv2d(x, Tensor.zeros(be, 2, 3, 1, 1), Tensor.zeros(be, 3), 1, 0));
    }
}
