package dev.tessera.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact-form GELU and its derivative in float, fast: the CPU backend's kernel for {@code UnaryOp.GELU} and
 * {@code BinaryOp.GELU_GRAD}. The definitions those enums spell out in double ({@code Erf.erf}, Cody's
 * rational approximations) are the oracle; this is the same function, x·Φ(x) = ½x(1 + erf(x/√2)), with a
 * float erf built for vectors (one exp, two short polynomials, one division, no branches):
 * <pre>
 *   z = x/√2, a = |z|
 *   a ≤ 1:  erf(z) = z + z·Q(z²)                Q: degree 6 in z², |error| of z·Q 5.4e-9
 *   a > 1:  erfc(a) = exp(−a²)·G(t), t = 1/(1 + a/2)   G: degree 8 in t, relative error 5.6e-9 on [1, 10]
 *           1 + erf(z) = 2 − erfc(a) for z &gt; 0,  erfc(a) for z &lt; 0
 *   gelu(x)  = ½x·(1 + erf(z))
 *   gelu'(x) = ½(1 + erf(z)) + x·φ(x),  φ(x) = exp(−z²)/√(2π)   (the exp is shared with the erfc branch)
 * </pre>
 * Computing 1 + erf(z) as erfc(|z|) for negative z keeps Φ's relative accuracy in the left tail, where
 * 1 + erf(z) in any precision cancels. The coefficients are weighted least-squares fits (Chebyshev nodes,
 * Lawson reweighting towards minimax) of erf(w)/w − 1 and erfc(w)·exp(w²) in double, rounded to float.
 * Measured in float over 480,001 points of [−12, 12] against the double definitions ({@code GeluCpuTest}):
 * |erf error| ≤ 7.6e-8 (1.3 ulp of values near 1); GELU within 3.9e-7 absolute (1 ulp at |x| ≈ 5) and
 * 1.9e-6 relative wherever |gelu| &gt; 1e-6; gelu' within 1.6e-7 absolute. CUDA's {@code erff} is at the
 * same level.
 *
 * <p>Both lanes of the branch are evaluated for every element and blended, so the vector loop has no
 * branches; the scalar twins ({@link #gelu(float)}, {@link #geluGrad(float, float)}) run the same formulas
 * for loop tails and are what the vector code is read against.
 */
final class GeluCpu {
    private GeluCpu() {}

    static final VectorSpecies<Float> SPECIES = SgemmVector.SPECIES;
    private static final int V = SPECIES.length();

    private static final float INV_SQRT2 = 0.70710678f;
    private static final float INV_SQRT_2PI = 0.39894228f;

    // erf(w)/w − 1 = Q(w²) on |w| ≤ 1 (erf = w + w·Q: the large term w is added last, exactly once).
    private static final float Q0 = 0.12837915f, Q1 = -0.37612605f, Q2 = 0.112834305f, Q3 = -0.026848592f,
            Q4 = 0.0051797503f, Q5 = -0.0007942362f, Q6 = 7.647134e-05f;
    // erfc(w)·exp(w²) = G(t), t = 1/(1 + w/2), on 1 ≤ w ≤ 10 (erfc is 0 in float beyond 10.05).
    private static final float G0 = -4.102191e-06f, G1 = 0.28219938f, G2 = 0.28099108f, G3 = 0.25296566f,
            G4 = 0.1580472f, G5 = 0.105330266f, G6 = 0.025076224f, G7 = -0.18505204f, G8 = 0.08089465f;

    /** Elements per parallel chunk: large enough that a fork (microseconds) is noise. */
    private static final int GRAIN = 16384;

    // ---------------------------------------------------------------- scalar twins

    /** erf(x) in float, same approximation as the vector kernels. */
    static float erf(float x) {
        float a = Math.abs(x);
        if (a <= 1f) return Math.fma(x, q(x * x), x);
        float erfc = VectorMath.exp(-(a * a)) * g(1f / (1f + 0.5f * a));
        return x > 0 ? 1f - erfc : erfc - 1f;
    }

    /** 1 + erf(x/√2) = 2Φ(x). */
    static float twicePhi(float x) {
        float z = x * INV_SQRT2, a = Math.abs(z);
        if (a <= 1f) return Math.fma(z, q(z * z), 1f + z);
        float erfc = VectorMath.exp(-(a * a)) * g(1f / (1f + 0.5f * a));
        return z > 0 ? 2f - erfc : erfc;
    }

    static float gelu(float x) {
        return 0.5f * x * twicePhi(x);
    }

    /** b·gelu'(a). */
    static float geluGrad(float a, float b) {
        float z = a * INV_SQRT2;
        float pdf = VectorMath.exp(-(z * z)) * INV_SQRT_2PI;
        return b * (0.5f * twicePhi(a) + a * pdf);
    }

    /** Horner with FMAs, as the vector code evaluates it. */
    private static float q(float s) {
        float r = Math.fma(s, Q6, Q5);
        r = Math.fma(r, s, Q4);
        r = Math.fma(r, s, Q3);
        r = Math.fma(r, s, Q2);
        r = Math.fma(r, s, Q1);
        return Math.fma(r, s, Q0);
    }

    private static float g(float t) {
        float r = Math.fma(t, G8, G7);
        r = Math.fma(r, t, G6);
        r = Math.fma(r, t, G5);
        r = Math.fma(r, t, G4);
        r = Math.fma(r, t, G3);
        r = Math.fma(r, t, G2);
        r = Math.fma(r, t, G1);
        return Math.fma(r, t, G0);
    }

    // ---------------------------------------------------------------- vector kernels

    /**
     * y[i] = gelu(x[i]) for i in [0, n), split over threads; y may be x. The threads' chunks are whole
     * {@link #BLOCK}s: the scalar tail ({@link #gelu}, {@link #geluGrad}) may round an element differently from
     * the vector lanes, so only the last elements of n, whatever the thread count, may take it. (Chunks cut at
     * any element made the bits depend on the split: 1 of 139,269 GELU gradients differed between 1 and 3
     * threads, 2026-12-07.)
     */
    static void forward(Parallel par, float[] x, int xo, float[] y, int yo, int n) {
        par.forWeighted((n + BLOCK - 1) / BLOCK, GRAIN / BLOCK, (b0, b1) -> {
            int from = b0 * BLOCK, to = Math.min(n, b1 * BLOCK);
            forward(x, xo + from, y, yo + from, to - from);
        });
    }

    /** out[i] = g[i]·gelu'(a[i]), split over threads in whole blocks (see forward); out may alias a or g. */
    static void backward(Parallel par, float[] a, int ao, float[] g, int go, float[] out, int oo, int n) {
        par.forWeighted((n + BLOCK - 1) / BLOCK, GRAIN / BLOCK, (b0, b1) -> {
            int from = b0 * BLOCK, to = Math.min(n, b1 * BLOCK);
            backward(a, ao + from, g, go + from, out, oo + from, to - from);
        });
    }

    /**
     * Elements per block of the two-pass loops below. Each pass is a small method whose loop C2 compiles with
     * every Vector API call inlined: one loop calling both {@link VectorMath#exp} and {@link #twicePhi} grew past
     * C2's inlining node budget (PrintInlining: "NodeCountInliningCutoff", "callee is too large"), so a call
     * stayed out of line and every vector crossing it was boxed on the heap — about ten times slower. A block's
     * exponentials (8 KiB) stay in L1 between the passes; storing and reloading a float is exact, so the result
     * is the same bits as one fused loop.
     */
    private static final int BLOCK = 2048;

    private static final ThreadLocal<float[]> EXPS = ThreadLocal.withInitial(() -> new float[BLOCK]);

    /** The single-threaded forward loop over n elements. */
    static void forward(float[] x, int xo, float[] y, int yo, int n) {
        float[] e = EXPS.get();
        int end = n / V * V;
        for (int i = 0; i < end; i += BLOCK) {
            int len = Math.min(BLOCK, end - i);
            gaussians(x, xo + i, e, len);
            forwardBlock(x, xo + i, e, y, yo + i, len);
        }
        for (int i = end; i < n; i++) y[yo + i] = gelu(x[xo + i]);
    }

    /** The single-threaded backward loop over n elements. */
    static void backward(float[] a, int ao, float[] g, int go, float[] out, int oo, int n) {
        float[] e = EXPS.get();
        int end = n / V * V;
        for (int i = 0; i < end; i += BLOCK) {
            int len = Math.min(BLOCK, end - i);
            gaussians(a, ao + i, e, len);
            backwardBlock(a, ao + i, g, go + i, e, out, oo + i, len);
        }
        for (int i = end; i < n; i++) out[oo + i] = geluGrad(a[ao + i], g[go + i]);
    }

    /** e[j] = exp(−z²), z = x[j]/√2, for j in [0, len), len a multiple of V. */
    private static void gaussians(float[] x, int xo, float[] e, int len) {
        for (int j = 0; j < len; j += V) {
            FloatVector z = FloatVector.fromArray(SPECIES, x, xo + j).mul(INV_SQRT2);
            VectorMath.exp(z.mul(z).neg()).intoArray(e, j);
        }
    }

    /** y = ½x·(1 + erf(z)) given e = exp(−z²); y may be x. */
    private static void forwardBlock(float[] x, int xo, float[] e, float[] y, int yo, int len) {
        for (int j = 0; j < len; j += V) {
            FloatVector xv = FloatVector.fromArray(SPECIES, x, xo + j);
            FloatVector z = xv.mul(INV_SQRT2);
            xv.mul(0.5f).mul(twicePhi(z, FloatVector.fromArray(SPECIES, e, j))).intoArray(y, yo + j);
        }
    }

    /** out = g·(½(1 + erf(z)) + a·φ(a)) given e = exp(−z²); out may be a or g. */
    private static void backwardBlock(float[] a, int ao, float[] g, int go, float[] e, float[] out, int oo, int len) {
        for (int j = 0; j < len; j += V) {
            FloatVector av = FloatVector.fromArray(SPECIES, a, ao + j);
            FloatVector gv = FloatVector.fromArray(SPECIES, g, go + j);
            FloatVector z = av.mul(INV_SQRT2);
            FloatVector ev = FloatVector.fromArray(SPECIES, e, j);
            FloatVector d = twicePhi(z, ev).mul(0.5f).add(av.mul(ev).mul(INV_SQRT_2PI));
            gv.mul(d).intoArray(out, oo + j);
        }
    }

    /** 1 + erf(z) given e = exp(−z²); both branches evaluated, then blended. */
    private static FloatVector twicePhi(FloatVector z, FloatVector e) {
        FloatVector s = z.mul(z);
        FloatVector q = s.fma(Q6, Q5).fma(s, bc(Q4)).fma(s, bc(Q3)).fma(s, bc(Q2)).fma(s, bc(Q1)).fma(s, bc(Q0));
        FloatVector small = z.fma(q, z.add(1f));                         // (1 + z) + z·Q(z²)
        FloatVector a = z.abs();
        FloatVector t = bc(1f).div(a.fma(0.5f, 1f));
        FloatVector gt = t.fma(G8, G7).fma(t, bc(G6)).fma(t, bc(G5)).fma(t, bc(G4)).fma(t, bc(G3))
                .fma(t, bc(G2)).fma(t, bc(G1)).fma(t, bc(G0));
        FloatVector erfc = e.mul(gt);
        FloatVector large = erfc.blend(bc(2f).sub(erfc), z.compare(VectorOperators.GT, 0f));
        VectorMask<Float> inner = a.compare(VectorOperators.LE, 1f);
        return large.blend(small, inner);
    }

    private static FloatVector bc(float v) {
        return FloatVector.broadcast(SPECIES, v);
    }
}
