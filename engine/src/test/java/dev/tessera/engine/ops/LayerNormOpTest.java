package dev.tessera.engine.ops;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

class LayerNormOpTest {
    final Backend be = Backends.cpu();

    /** torch.nn.functional.layer_norm over the last axis, in double. w/b null mean 1/0. */
    static float[] naive(float[] x, float[] w, float[] b, int cols, double eps) {
        float[] y = new float[x.length];
        for (int r = 0; r < x.length / cols; r++) {
            double mu = 0, var = 0;
            for (int c = 0; c < cols; c++) mu += x[r * cols + c];
            mu /= cols;
            for (int c = 0; c < cols; c++) var += Math.pow(x[r * cols + c] - mu, 2);
            var /= cols;
            for (int c = 0; c < cols; c++) {
                double xh = (x[r * cols + c] - mu) / Math.sqrt(var + eps);
                y[r * cols + c] = (float) (xh * (w == null ? 1 : w[c]) + (b == null ? 0 : b[c]));
            }
        }
        return y;
    }

    @Test
    void forwardMatchesTheDefinitionAndGradientsCheck() {
        Tensor x = GradCheck.random(be, 1, -2f, 2f, 2, 3, 5);
        Tensor w = GradCheck.random(be, 2, 0.5f, 1.5f, 5), b = GradCheck.random(be, 3, -1f, 1f, 5);
        assertClose("layerNorm", naive(x.toArray(), w.toArray(), b.toArray(), 5, 1e-6),
                x.layerNorm(w, b, 1e-6f).toArray(), 1e-6, 1e-5);
        GradCheck.check("layerNorm", t -> t[0].layerNorm(t[1], t[2], 1e-6f), x, w, b);
        // A large eps changes the result measurably, so it is really used.
        assertClose("layerNorm eps 0.5", naive(x.toArray(), w.toArray(), b.toArray(), 5, 0.5),
                x.layerNorm(w, b, 0.5f).toArray(), 1e-6, 1e-5);
    }

    @Test
    void nonAffineAndStridedInput() {
        Tensor x = GradCheck.random(be, 4, -2f, 2f, 4, 3);
        float[] xv = x.toArray(), xt = new float[12];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) xt[j * 4 + i] = xv[i * 3 + j];
        assertClose("layerNorm non-affine of xᵀ", naive(xt, null, null, 4, 1e-5),
                x.transpose(0, 1).layerNorm(null, null, 1e-5f).toArray(), 1e-6, 1e-5);
        GradCheck.check("layerNorm non-affine strided", t -> t[0].transpose(0, 1).layerNorm(null, null, 1e-5f), x);
    }

    @Test
    void weightOfTheWrongSizeIsNamed() {
        Tensor x = Tensor.zeros(be, 2, 5);
        ShapeException e = assertThrows(ShapeException.class, () -> x.layerNorm(Tensor.ones(be, 4), null, 1e-6f));
        assertTrue(e.getMessage().contains("layerNorm") && e.getMessage().contains("[4]")
                && e.getMessage().contains("[2, 5]"), e.getMessage());
    }
}
