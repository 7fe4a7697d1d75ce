package dev.tessera.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector math that gives the same bits in the interpreter, C1 and C2. The Vector API's own
 * {@code lanewise(EXP)} and {@code reduceLanes(ADD)} do not: once compiled, EXP becomes a vendor intrinsic
 * and ADD a tree reduction, while the uncompiled fallback uses per-lane Math.exp and a sequential sum, so
 * the same run could change its last bits mid-way — enough to break "same seed, same bits" and exact resume.
 * Everything here is built from add/mul/fma/compare/convert, which IEEE 754 rounds identically everywhere.
 */
final class VectorMath {
    private VectorMath() {}

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693145751953125f;     // ln 2 split so k·LN2_HI is exact for |k| ≤ 2^9
    private static final float LN2_LO = 1.42860682030941723e-6f;
    private static final float ROUND = 12582912f;                // 1.5·2^23: x + ROUND − ROUND rounds to an integer
    private static final float EXP_BIAS_MAGIC = 8388608f + 127f;
    private static final float LOWEST = -87.3f;                  // below this exp underflows; return 0 exactly
    private static final float HIGHEST = 88.0f;                  // exp(88) < Float.MAX_VALUE; callers pass x ≤ 0 anyway

    /**
     * e^x per lane: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its degree-7 Taylor polynomial (truncation
     * ≤ 1.2e-8 relative), times 2^k built in the exponent bits. Max error a few ulp; exp(−∞) = 0.
     */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.compare(VectorOperators.LT, LOWEST);
        FloatVector xc = x.max(LOWEST).min(HIGHEST);
        FloatVector k = xc.mul(LOG2E).add(ROUND).sub(ROUND);                  // nearest integer to x/ln2
        FloatVector r = xc.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO));             // |r| ≤ ln2/2, exact first step
        FloatVector p = r.mul(1f / 5040f).add(1f / 720f);
        p = p.mul(r).add(1f / 120f);
        p = p.mul(r).add(1f / 24f);
        p = p.mul(r).add(1f / 6f);
        p = p.mul(r).add(0.5f);
        p = p.mul(r).add(1f);
        p = p.mul(r).add(1f);
        // 2^k without a float→int conversion: k + 2^23 + 127 puts the integer k + 127 in the low mantissa bits.
        IntVector bits = k.add(EXP_BIAS_MAGIC).reinterpretAsInts().and(0x7FFFFF).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats()).blend(0f, under);
    }

    /**
     * a[at + i] ← e^(a[at + i] − shift[so + i]) for i &lt; n, a whole number of vectors: softmax's exponentials,
     * whose arguments (x − max, or x − log-sum-exp) are ≤ 0 up to rounding (any argument ≤ 88 is fine). The
     * reduction and Taylor polynomial of {@link #exp(FloatVector)}, but the polynomial in FMA (Horner, one rounding
     * per step instead of two) and without the overflow clamp such arguments never need: half the instructions,
     * at least as accurate, and the bits differ from {@code exp} in the last place. Arguments below
     * {@code LOWEST} (−∞ included) give 0 exactly. It takes an array range, not a vector, and has the polynomial
     * written into its loop: a vector passed to a call that C2 leaves out of line (its inlining budget spent on a
     * large caller) is boxed on every call. FMA, compare and blend round identically in every JIT tier, so every
     * tier gives the same bits (the scalar twin is in VectorMathTest).
     */
    static void expSoftmax(float[] a, int at, int n, float[] shift, int so) {
        for (int i = 0; i < n; i += SPECIES.length()) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, at + i).sub(FloatVector.fromArray(SPECIES, shift, so + i));
            VectorMask<Float> under = x.compare(VectorOperators.LT, LOWEST);
            FloatVector xc = x.blend(LOWEST, under);                           // a blend, not max(): one instruction
            FloatVector k = xc.mul(LOG2E).add(ROUND).sub(ROUND);
            FloatVector r = xc.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO));
            FloatVector p = r.fma(1f / 5040f, 1f / 720f);
            p = p.fma(r, FloatVector.broadcast(SPECIES, 1f / 120f));
            p = p.fma(r, FloatVector.broadcast(SPECIES, 1f / 24f));
            p = p.fma(r, FloatVector.broadcast(SPECIES, 1f / 6f));
            p = p.fma(r, FloatVector.broadcast(SPECIES, 0.5f));
            p = p.fma(r, FloatVector.broadcast(SPECIES, 1f));
            p = p.fma(r, FloatVector.broadcast(SPECIES, 1f));
            // k + 127 ∈ [1, 254] here, so the shift alone leaves exactly the exponent bits of 2^k.
            IntVector bits = k.add(EXP_BIAS_MAGIC).reinterpretAsInts().lanewise(VectorOperators.LSHL, 23);
            p.mul(bits.reinterpretAsFloats()).blend(0f, under).intoArray(a, at + i);
        }
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same float operations in the same order, so the same bits. */
    static float exp(float x) {
        if (x < LOWEST) return 0f;
        float xc = Math.min(x, HIGHEST);
        float k = xc * LOG2E + ROUND - ROUND;
        float r = xc - k * LN2_HI - k * LN2_LO;
        float p = r * (1f / 5040f) + 1f / 720f;
        p = p * r + 1f / 120f;
        p = p * r + 1f / 24f;
        p = p * r + 1f / 6f;
        p = p * r + 0.5f;
        p = p * r + 1f;
        p = p * r + 1f;
        int bits = (Float.floatToRawIntBits(k + EXP_BIAS_MAGIC) & 0x7FFFFF) << 23;
        return p * Float.intBitsToFloat(bits);
    }

    /**
     * Σ lanes by an explicit butterfly: add the vector to itself with halves swapped, then quarters, … (log₂ of
     * the lane count adds). The order is fixed by the code, unlike a compiled reduceLanes(ADD), so every JIT
     * tier gives the same bits; shuffles move values without rounding.
     */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> s : BUTTERFLY) v = v.add(v.rearrange(s));
        return v.lane(0);
    }

    private static final VectorSpecies<Float> SPECIES = SgemmVector.SPECIES;

    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] BUTTERFLY = new VectorShuffle[Integer.numberOfTrailingZeros(SPECIES.length())];

    static {
        for (int l = 0; l < BUTTERFLY.length; l++) {
            int half = SPECIES.length() >> (l + 1);
            BUTTERFLY[l] = VectorShuffle.fromOp(SPECIES, i -> i ^ half);
        }
    }
}
