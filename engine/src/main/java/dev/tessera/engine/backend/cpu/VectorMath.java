package dev.tessera.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

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
    private static final float LOWEST = -87.3f;                  // below this exp underflows; return 0 exactly
    private static final float HIGHEST = 88.0f;                  // exp(88) < Float.MAX_VALUE; callers pass x ≤ 0 anyway

    /**
     * e^x per lane: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its degree-7 Taylor polynomial (truncation
     * ≤ 1.2e-8 relative), times 2^k built in the exponent bits. Max error a few ulp; exp(−∞) = 0.
     */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.compare(VectorOperators.LT, LOWEST);
        FloatVector xc = x.max(LOWEST).min(HIGHEST);
        FloatVector k = xc.fma(FloatVector.broadcast(x.species(), LOG2E), FloatVector.broadcast(x.species(), ROUND)).sub(ROUND);
        FloatVector r = k.neg().fma(FloatVector.broadcast(x.species(), LN2_HI), xc);
        r = k.neg().fma(FloatVector.broadcast(x.species(), LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(x.species(), 1f / 5040f), FloatVector.broadcast(x.species(), 1f / 720f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 0.5f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f));
        IntVector bits = ((IntVector) k.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector scale = bits.reinterpretAsFloats();
        return p.mul(scale).blend(0f, under);
    }

    /** Σ lanes in lane order (not the tree order a compiled reduceLanes may use). */
    static float sum(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}
