package dev.tessera.engine.ops;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

class SoftmaxOpTest {
    final Backend be = Backends.cpu();
    static final int[] DIMS = {2, 3, 4};

    /** (log-)softmax of a [2, 3, 4] array along {@code axis}, in double. */
    static float[] naive(float[] x, int axis, boolean log) {
        float[] y = new float[x.length];
        int n = DIMS[axis];
        int stride = axis == 0 ? 12 : axis == 1 ? 4 : 1;
        for (int base = 0; base < x.length; base++) {
            int along = (base / stride) % n;
            if (along != 0) continue; // visit each line once, from its first element
            double m = Double.NEGATIVE_INFINITY, s = 0;
            for (int t = 0; t < n; t++) m = Math.max(m, x[base + t * stride]);
            for (int t = 0; t < n; t++) s += Math.exp(x[base + t * stride] - m);
            for (int t = 0; t < n; t++) {
                double v = x[base + t * stride] - m;
                y[base + t * stride] = (float) (log ? v - Math.log(s) : Math.exp(v) / s);
            }
        }
        return y;
    }

    @Test
    void softmaxAndLogSoftmaxOnEveryAxis() {
        Tensor x = GradCheck.random(be, 1, -3f, 3f, DIMS);
        for (int axis = 0; axis < 3; axis++) {
            int a = axis;
            Tensor s = x.softmax(axis);
            assertArrayEquals(DIMS, s.shape());
            assertClose("softmax axis " + axis, naive(x.toArray(), axis, false), s.toArray(), 1e-7, 1e-5);
            assertClose("logSoftmax axis " + axis, naive(x.toArray(), axis, true), x.logSoftmax(axis).toArray(), 1e-6, 1e-5);
            GradCheck.check("softmax axis " + axis, t -> t[0].softmax(a), x);
            GradCheck.check("logSoftmax axis " + axis, t -> t[0].logSoftmax(a), x);
        }
        float[] last = x.softmax(-1).toArray();
        assertClose("axis -1 is the last axis", naive(x.toArray(), 2, false), last, 1e-7, 1e-5);
        GradCheck.check("softmax of strided", t -> t[0].transpose(0, 2).softmax(-1), x);
    }

    @Test
    void largeLogitsStayFinite() {
        // exp(1000) overflows float and double; the max-subtraction keeps it finite.
        Tensor x = Tensor.of(be, new float[] {1000f, 1001f, 1002f}, 1, 3);
        double e0 = Math.exp(-2), e1 = Math.exp(-1), z = e0 + e1 + 1;
        assertClose("softmax", new float[] {(float) (e0 / z), (float) (e1 / z), (float) (1 / z)},
                x.softmax(-1).toArray(), 1e-7, 1e-6);
        float[] ls = x.logSoftmax(-1).toArray();
        assertClose("logSoftmax", new float[] {(float) (-2 - Math.log(z)), (float) (-1 - Math.log(z)), (float) -Math.log(z)},
                ls, 1e-5, 1e-5);
        // log-softmax of a very negative logit is finite even where softmax underflows to 0.
        float[] far = Tensor.of(be, new float[] {0f, -200f}, 2).logSoftmax(0).toArray();
        assertTrue(Float.isFinite(far[1]) && Math.abs(far[1] + 200f) < 1e-3, "logSoftmax " + far[1]);
    }
}
