package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.AdamWStep;
import java.util.concurrent.atomic.AtomicBoolean;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AdamWCpu} on the Vector API, bit for bit: every lane does the reference's float operations in its order
 * (multiplies and adds kept separate, never fused into an FMA; a float square root is correctly rounded like the
 * reference's {@code (float) Math.sqrt}), so the update is identical whatever path or thread ran it and a
 * resumed run continues exactly. Like the reference it reports whether it wrote a NaN or infinity (x·0 is 0 for a
 * finite x and NaN otherwise, so a probe vector summing those products turns NaN exactly then). Parity: {@code AdamWCpuFastTest}.
 */
final class AdamWCpuFast {
    private AdamWCpuFast() {}

    private static final VectorSpecies<Float> SPECIES = SgemmVector.SPECIES;
    private static final int V = SPECIES.length();

    static boolean step(Parallel par, float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo,
                     int n, AdamWStep s) {
        return step(par, p, po, g, go, m, mo, v, vo, n, AdamWCpu.Coefficients.of(s));
    }

    static boolean step(Parallel par, float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo,
                        int n, AdamWCpu.Coefficients k) {
        float b1 = k.b1(), b2 = k.b2(), c1 = k.c1(), c2 = k.c2(), bc2Sqrt = k.bc2Sqrt(), eps = k.eps();
        float decay = k.decay(), stepSize = k.stepSize();
        AtomicBoolean nonFinite = new AtomicBoolean();
        par.forWeighted(n, 8192, (from, to) -> {
            FloatVector probe = FloatVector.zero(SPECIES);
            int i = from;
            for (int end = from + (to - from) / V * V; i < end; i += V) {
                FloatVector gi = FloatVector.fromArray(SPECIES, g, go + i);
                FloatVector mi = FloatVector.fromArray(SPECIES, m, mo + i).mul(b1).add(gi.mul(c1));
                FloatVector vi = FloatVector.fromArray(SPECIES, v, vo + i).mul(b2).add(gi.mul(c2).mul(gi));
                mi.intoArray(m, mo + i);
                vi.intoArray(v, vo + i);
                FloatVector denom = vi.sqrt().div(bc2Sqrt).add(eps);
                FloatVector pi = FloatVector.fromArray(SPECIES, p, po + i).mul(decay).sub(mi.mul(stepSize).div(denom));
                pi.intoArray(p, po + i);
                probe = probe.add(mi.mul(0f)).add(vi.mul(0f)).add(pi.mul(0f));
            }
            boolean bad = AdamWCpu.range(k, p, po, g, go, m, mo, v, vo, i, to);
            if (bad || probe.test(VectorOperators.IS_NAN).anyTrue()) nonFinite.set(true);
        });
        return nonFinite.get();
    }
}
