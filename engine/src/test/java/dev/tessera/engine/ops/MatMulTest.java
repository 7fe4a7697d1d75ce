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

/** Matrix products against a triple loop in double. */
class MatMulTest {
    final Backend be = Backends.cpu();

    /** batch × ([m, k] · [k, n]); bStride 0 reuses one b. */
    static float[] naive(float[] a, float[] b, int batch, int m, int k, int n, boolean sharedB) {
        float[] c = new float[batch * m * n];
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double) a[(t * m + i) * k + p] * b[(sharedB ? 0 : t * k * n) + p * n + j];
                    c[(t * m + i) * n + j] = (float) s;
                }
        return c;
    }

    @Test
    void twoDimensional() {
        Tensor a = GradCheck.random(be, 1, -1f, 1f, 3, 4), b = GradCheck.random(be, 2, -1f, 1f, 4, 5);
        assertClose("a·b", naive(a.toArray(), b.toArray(), 1, 3, 4, 5, true), a.matmul(b).toArray(), 1e-6, 1e-5);
        GradCheck.check("matmul 2-D", t -> t[0].matmul(t[1]), a, b);
        // Strided operands (transposed views) are made contiguous first.
        Tensor bt = GradCheck.random(be, 3, -1f, 1f, 5, 4);
        float[] btv = bt.toArray(), btT = new float[20];
        for (int i = 0; i < 5; i++) for (int j = 0; j < 4; j++) btT[j * 5 + i] = btv[i * 4 + j];
        assertClose("a·btᵀ", naive(a.toArray(), btT, 1, 3, 4, 5, true), a.matmul(bt.transpose(0, 1)).toArray(), 1e-6, 1e-5);
        GradCheck.check("matmul transposed", t -> t[0].matmul(t[1].transpose(0, 1)), a, bt);
    }

    @Test
    void batchedAndWeightShared() {
        Tensor a = GradCheck.random(be, 4, -1f, 1f, 2, 3, 4), b = GradCheck.random(be, 5, -1f, 1f, 2, 4, 5);
        assertClose("batched", naive(a.toArray(), b.toArray(), 2, 3, 4, 5, false), a.matmul(b).toArray(), 1e-6, 1e-5);
        GradCheck.check("matmul batched", t -> t[0].matmul(t[1]), a, b);
        Tensor w = GradCheck.random(be, 6, -1f, 1f, 4, 5);
        Tensor y = a.matmul(w);
        assertArrayEquals(new int[] {2, 3, 5}, y.shape());
        assertClose("shared weight", naive(a.toArray(), w.toArray(), 2, 3, 4, 5, true), y.toArray(), 1e-6, 1e-5);
        GradCheck.check("matmul weight-shared", t -> t[0].matmul(t[1]), a, w);
        Tensor a4 = GradCheck.random(be, 7, -1f, 1f, 2, 2, 3, 4), b4 = GradCheck.random(be, 8, -1f, 1f, 2, 2, 4, 2);
        assertClose("batched 4-D", naive(a4.toArray(), b4.toArray(), 4, 3, 4, 2, false), a4.matmul(b4).toArray(), 1e-6, 1e-5);
        GradCheck.check("matmul batched 4-D", t -> t[0].matmul(t[1]), a4, b4);
    }

    @Test
    void emptyInnerDimensionGivesZeros() {
        Tensor a = Tensor.zeros(be, 3, 0), b = Tensor.zeros(be, 0, 2);
        assertClose("[3,0]·[0,2]", new float[6], a.matmul(b).toArray(), 0, 0);
        assertClose("linear in=0", new float[] {1, 2, 1, 2}, Tensor.zeros(be, 2, 0)
                .linear(Tensor.zeros(be, 2, 0), Tensor.of(be, new float[] {1, 2}, 2)).toArray(), 0, 0);
    }

    static float[] naiveLinear(float[] x, float[] w, float[] b, int rows, int in, int out) {
        float[] y = new float[rows * out];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) s += (double) x[r * in + i] * w[o * in + i];
                y[r * out + o] = (float) s;
            }
        return y;
    }

    @Test
    void linearWithAndWithoutBias() {
        Tensor x = GradCheck.random(be, 9, -1f, 1f, 2, 3, 4);
        Tensor w = GradCheck.random(be, 10, -1f, 1f, 5, 4), b = GradCheck.random(be, 11, -1f, 1f, 5);
        Tensor y = x.linear(w, b);
        assertArrayEquals(new int[] {2, 3, 5}, y.shape());
        assertClose("linear", naiveLinear(x.toArray(), w.toArray(), b.toArray(), 6, 4, 5), y.toArray(), 1e-6, 1e-5);
        assertClose("linear no bias", naiveLinear(x.toArray(), w.toArray(), null, 6, 4, 5),
                x.linear(w, null).toArray(), 1e-6, 1e-5);
        GradCheck.check("linear", t -> t[0].linear(t[1], t[2]), x, w, b);
        GradCheck.check("linear no bias", t -> t[0].linear(t[1], null), x, w);
        // A broadcast (stride-0) bias view: every output feature gets the same value.
        Tensor b1 = GradCheck.random(be, 12, -1f, 1f, 1);
        float[] bb = new float[5];
        java.util.Arrays.fill(bb, b1.toArray()[0]);
        assertClose("linear expanded bias", naiveLinear(x.toArray(), w.toArray(), bb, 6, 4, 5),
                x.linear(w, b1.expand(5)).toArray(), 1e-6, 1e-5);
        GradCheck.check("linear expanded bias", t -> t[0].linear(t[1], t[2].expand(5)), x, w, b1);
        // dW and db are one backend op (matmulWeightGrad) honouring each gradient's own mode: a weight shared with a
        // second Linear has its gradient added to while the bias's is written, and the other way round.
        Tensor x2 = GradCheck.random(be, 17, -1f, 1f, 3, 4);
        GradCheck.check("linear, weight shared", t -> t[0].linear(t[1], t[2]).sum().add(t[3].linear(t[1], null).sum()), x, w, b, x2);
        GradCheck.check("linear, bias used again", t -> t[0].linear(t[1], t[2]).add(t[2]), x, w, b);
    }

    @Test
    void fusedLinearGeluIsLinearThenGelu() {
        Tensor x = GradCheck.random(be, 13, -2f, 2f, 2, 3, 4);
        Tensor w = GradCheck.random(be, 14, -1f, 1f, 5, 4), b = GradCheck.random(be, 15, -1f, 1f, 5);
        // The reference epilogue is the composition it replaces, so the values are identical, not close.
        assertArrayEquals(x.linear(w, b).gelu().toArray(), MatMul.linearGelu(x, w, b).toArray());
        assertArrayEquals(new int[] {2, 3, 5}, MatMul.linearGelu(x, w, b).shape());
        GradCheck.check("linearGelu", t -> MatMul.linearGelu(t[0], t[1], t[2]), x, w, b);
        GradCheck.check("linearGelu transposed input", t -> MatMul.linearGelu(t[0].transpose(0, 1), t[1], t[2]),
                GradCheck.random(be, 16, -2f, 2f, 3, 2, 4), w, b);
        assertThrows(IllegalArgumentException.class, () -> MatMul.linearGelu(x, w, null));
    }

    @Test
    void shapeErrorsNameOpAndShapes() {
        Tensor a = Tensor.zeros(be, 2, 3), b = Tensor.zeros(be, 4, 5);
        ShapeException e = assertThrows(ShapeException.class, () -> a.matmul(b));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("[2, 3]")
                && e.getMessage().contains("[4, 5]"), e.getMessage());
        ShapeException l = assertThrows(ShapeException.class, () -> a.linear(Tensor.zeros(be, 5, 4), null));
        assertTrue(l.getMessage().contains("linear") && l.getMessage().contains("[2, 3]")
                && l.getMessage().contains("[5, 4]"), l.getMessage());
        ShapeException bb = assertThrows(ShapeException.class,
                () -> Tensor.zeros(be, 2, 2, 3).matmul(Tensor.zeros(be, 3, 3, 4)));
        assertTrue(bb.getMessage().contains("[2, 2, 3]") && bb.getMessage().contains("[3, 3, 4]"), bb.getMessage());
    }
}
