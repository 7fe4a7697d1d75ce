package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.testing.Close;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * cuBLASLt's fused epilogues mapped onto Tessera's layers, by execution: a column-major cublasLtMatmul written from
 * the cuBLASLt documentation (stored matrices described by rows, columns and leading dimension; bias over D's rows;
 * bias gradient over D's columns summed along k) is fed the plan's layouts and must give a Linear layer's forward
 * with bias (and with tanh-GELU), and the bias gradient of its weight-gradient GEMM.
 */
class LtMatmulPlanTest {
    final Random rnd = new Random(11);
    static final int N = 6, IN = 5, OUT = 4;

    @Test
    void biasEpilogueIsALinearLayer() {
        float[] x = GemmMappingTest.random(rnd, N * IN), w = GemmMappingTest.random(rnd, OUT * IN), b = GemmMappingTest.random(rnd, OUT);
        // y[N, OUT] = x·Wᵀ + b: the NT layout
        LtMatmulPlan plan = LtMatmulPlan.of(false, true, 1, N, OUT, IN, 0, 0, LtMatmulPlan.Epilogue.BIAS);
        assertEquals(OUT, plan.vectorLength());
        float[] y = new float[N * OUT];
        lt(plan, w, x, y, b.clone());   // cuBLAS's A slot is Tessera's B (W)
        Close.assertClose("x·Wᵀ + b", linear(x, w, b, false), y, new int[] {N, OUT}, 1e-6, 1e-6);
    }

    @Test
    void geluBiasEpilogueIsTheTanhGelu() {
        float[] x = GemmMappingTest.random(rnd, N * IN), w = GemmMappingTest.random(rnd, OUT * IN), b = GemmMappingTest.random(rnd, OUT);
        LtMatmulPlan plan = LtMatmulPlan.of(false, true, 1, N, OUT, IN, 0, 0, LtMatmulPlan.Epilogue.GELU_BIAS);
        float[] y = new float[N * OUT];
        lt(plan, w, x, y, b.clone());
        Close.assertClose("gelu_tanh(x·Wᵀ + b)", linear(x, w, b, true), y, new int[] {N, OUT}, 1e-6, 1e-6);
    }

    @Test
    void bgradbEpilogueIsTheBiasGradientOfTheWeightGradientGemm() {
        float[] x = GemmMappingTest.random(rnd, N * IN), dy = GemmMappingTest.random(rnd, N * OUT);
        // dW[OUT, IN] = dyᵀ·x: the TN layout; db[OUT] = Σ over the N rows of dy
        LtMatmulPlan plan = LtMatmulPlan.of(true, false, 1, OUT, IN, N, 0, 0, LtMatmulPlan.Epilogue.BGRADB);
        assertEquals(OUT, plan.vectorLength());
        float[] dw = new float[OUT * IN], db = new float[OUT];
        lt(plan, x, dy, dw, db);
        float[] expectedDw = new float[OUT * IN], expectedDb = new float[OUT];
        for (int o = 0; o < OUT; o++) {
            for (int r = 0; r < N; r++) expectedDb[o] += dy[r * OUT + o];
            for (int i = 0; i < IN; i++) {
                for (int r = 0; r < N; r++) expectedDw[o * IN + i] += dy[r * OUT + o] * x[r * IN + i];
            }
        }
        Close.assertClose("dW", expectedDw, dw, new int[] {OUT, IN}, 1e-6, 1e-6);
        Close.assertClose("db", expectedDb, db, new int[] {OUT}, 1e-6, 1e-6);
    }

    @Test
    void epiloguesArePlannedForOneMatrix() {
        assertThrows(IllegalArgumentException.class,
                () -> LtMatmulPlan.of(false, true, 2, N, OUT, IN, N * IN, 0, LtMatmulPlan.Epilogue.BIAS));
        assertTrue(LtMatmulPlan.of(false, true, 2, N, OUT, IN, N * IN, 0, LtMatmulPlan.Epilogue.DEFAULT).a().batchStride() == 0);
    }

    static float[] linear(float[] x, float[] w, float[] b, boolean gelu) {
        float[] y = new float[N * OUT];
        for (int r = 0; r < N; r++) {
            for (int o = 0; o < OUT; o++) {
                double acc = b[o];
                for (int i = 0; i < IN; i++) acc += (double) x[r * IN + i] * w[o * IN + i];
                y[r * OUT + o] = (float) (gelu ? geluTanh(acc) : acc);
            }
        }
        return y;
    }

    static double geluTanh(double v) {
        return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    }

    /** cublasLtMatmul with alpha 1, beta 0 and D = C, reading every operand through the plan's layouts. */
    static void lt(LtMatmulPlan plan, float[] a, float[] b, float[] d, float[] vector) {
        GemmMapping g = plan.gemm();
        LtMatmulPlan.Layout la = plan.a(), lb = plan.b(), ld = plan.d();
        double[] bgrad = new double[(int) plan.vectorLength()];
        for (int i = 0; i < g.m(); i++) {
            for (int j = 0; j < g.n(); j++) {
                double acc = 0;
                for (int p = 0; p < g.k(); p++) {
                    double x = g.transA() == GemmMapping.OP_N ? at(a, la, i, p) : at(a, la, p, i);
                    double y = g.transB() == GemmMapping.OP_N ? at(b, lb, p, j) : at(b, lb, j, p);
                    acc += x * y;
                    if (i == 0 && plan.epilogue() == LtMatmulPlan.Epilogue.BGRADB) bgrad[j] += y;
                }
                if (plan.epilogue().readsBias()) acc += vector[i];
                if (plan.epilogue() == LtMatmulPlan.Epilogue.GELU_BIAS) acc = geluTanh(acc);
                d[index(ld, i, j)] = (float) acc;
            }
        }
        if (plan.epilogue() == LtMatmulPlan.Epilogue.BGRADB) for (int j = 0; j < bgrad.length; j++) vector[j] = (float) bgrad[j];
    }

    /** Element (r, s) of a stored column-major matrix; fails outside its rows and columns. */
    static float at(float[] m, LtMatmulPlan.Layout l, int r, int s) {
        return m[index(l, r, s)];
    }

    static int index(LtMatmulPlan.Layout l, int r, int s) {
        if (r < 0 || r >= l.rows() || s < 0 || s >= l.cols()) {
            throw new AssertionError("(" + r + ", " + s + ") outside a " + l.rows() + "×" + l.cols() + " layout");
        }
        if (l.ld() < l.rows()) throw new AssertionError("ld " + l.ld() + " < rows " + l.rows());
        return (int) (r + s * l.ld());
    }
}
