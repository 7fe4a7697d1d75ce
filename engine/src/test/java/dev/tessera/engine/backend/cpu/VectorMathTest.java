package dev.tessera.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The softmax exponential {@link VectorMath#expSoftmax} against its scalar twin below (the same float operations,
 * FMA where the vector code has FMA: what the Vector API's Java fallback, which the interpreter runs, computes lane
 * by lane), checked again after enough calls for C2 to compile it, and against Math.exp in double for accuracy.
 */
class VectorMathTest {
    private static final int V = SgemmVector.SPECIES.length();

    /** e^x as expSoftmax computes it, one lane: its reduction, Horner in FMA, 2^k from the exponent bits. */
    static float expSoftmaxTwin(float x) {
        if (x < -87.3f) return 0f;
        float k = x * 1.44269504088896341f + 12582912f - 12582912f;
        float r = x - k * 0.693145751953125f - k * 1.42860682030941723e-6f;
        float p = Math.fma(r, 1f / 5040f, 1f / 720f);
        p = Math.fma(p, r, 1f / 120f);
        p = Math.fma(p, r, 1f / 24f);
        p = Math.fma(p, r, 1f / 6f);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat(Float.floatToRawIntBits(k + 8388608f + 127f) << 23);
    }

    /** Arguments from −100 to 88 on a fine grid, then the edges: −∞, ±0, the underflow bound, a NaN. */
    static float[] arguments() {
        int n = 200_000;
        float[] special = {Float.NEGATIVE_INFINITY, 0f, -0f, -87.3f, Math.nextDown(-87.3f), Math.nextUp(-87.3f), 88f, 1e-7f,
                -1e-7f, Float.NaN, -Float.MIN_VALUE, -0.34657359f, 0.34657359f};
        float[] x = new float[(n + special.length + V - 1) / V * V];
        for (int i = 0; i < n; i++) x[i] = (float) (-100 + 188.0 * i / (n - 1));
        System.arraycopy(special, 0, x, n, special.length);
        return x;
    }

    @Test
    void expSoftmaxGivesItsScalarTwinsBitsOnceCompiled() {
        float[] x = arguments();
        float[] shifts = LayerNormCpuTest.random(4, x.length + 3, 0, 4);
        for (int round = 0; round < 40; round++) {   // checked at rounds 0, 13, 26, 39; the later ones normally run C2 code
            float[] a = x.clone();
            VectorMath.expSoftmax(a, 0, a.length, shifts, 3);
            if (round % 13 != 0 && round != 39) continue;
            for (int i = 0; i < a.length; i++) {
                float want = expSoftmaxTwin(x[i] - shifts[3 + i]);
                if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(want)) {
                    throw new AssertionError("round " + round + ": exp(" + x[i] + " − " + shifts[3 + i] + ") = " + a[i] + ", twin " + want);
                }
            }
        }
    }

    /** Relative error against Math.exp over [−87, 0] and a little above: within 4 ulp; exactly 0 below −87.3. */
    @Test
    void expSoftmaxIsAccurateToAFewUlp() {
        float[] x = arguments();
        float[] a = x.clone();
        VectorMath.expSoftmax(a, 0, a.length, new float[a.length], 0);
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(x[i])) {
                assertTrue(Float.isNaN(a[i]), "exp(NaN)");
            } else if (x[i] < -87.3f) {
                assertEquals(0f, a[i], "exp(" + x[i] + ") underflows to 0");
            } else if (x[i] <= 88f) {
                double want = Math.exp(x[i]);
                worst = Math.max(worst, Math.abs(a[i] - want) / Math.ulp((float) want));
            }
        }
        assertTrue(worst <= 4, "worst error " + worst + " ulp");
    }
}
