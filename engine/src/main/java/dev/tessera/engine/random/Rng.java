package dev.tessera.engine.random;

import dev.tessera.engine.backend.Erf;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The engine's one random number generator: xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom
 * number generators", ACM TOMS 2021), seeded by expanding a 64-bit seed with {@link SplitMix64}.
 *
 * <p>Everything is written out here rather than taken from the JDK so that a seed means the same numbers on
 * every JDK: same seed, bit-identical sequences. The 256-bit state is all there is (no cached Gaussian), so
 * {@link #state()} / {@link #restore} resume a run exactly, and {@link #fork} derives independent streams
 * (data loading, masking, dropout, init) without the order of their use changing each other's numbers.
 *
 * <p>Derived draws, each documented where it is defined: floats in [0, 1) from the top 24 bits, doubles
 * from the top 53; normals by Box–Muller in double; bounded ints by Lemire's multiply-and-reject; truncated
 * normals by rejection. Not thread-safe: give each thread its own {@link #fork}.
 */
public final class Rng implements RandomGenerator {
    private long s0, s1, s2, s3;

    /** A generator whose state is four consecutive SplitMix64 outputs from {@code seed}. */
    public Rng(long seed) {
        SplitMix64 sm = new SplitMix64(seed);
        s0 = sm.next();
        s1 = sm.next();
        s2 = sm.next();
        s3 = sm.next();
    }

    private Rng(long[] state) {
        s0 = state[0];
        s1 = state[1];
        s2 = state[2];
        s3 = state[3];
    }

    // ------------------------------------------------------------------ core generator

    /** The next 64 random bits (xoshiro256**: scramble s1 with ×5, rotl 7, ×9; then the linear step). */
    @Override
    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** The 256-bit state {s0, s1, s2, s3}, for checkpoints. */
    public long[] state() {
        return new long[] {s0, s1, s2, s3};
    }

    /** A generator that continues exactly where the one that produced {@code state} stood. */
    public static Rng restore(long[] state) {
        if (state == null || state.length != 4) {
            throw new IllegalArgumentException("Rng.restore: expected 4 state words, got "
                    + (state == null ? "null" : state.length));
        }
        if ((state[0] | state[1] | state[2] | state[3]) == 0) {
            throw new IllegalArgumentException("Rng.restore: the all-zero state is invalid for xoshiro256**");
        }
        return new Rng(state);
    }

    /**
     * An independent child stream identified by {@code stream}, derived by hashing this generator's current
     * state together with the stream id (SplitMix64's mixer). This generator is not advanced, so forking
     * "data" and "model" streams from one root gives the same children whatever order they are made in.
     */
    public Rng fork(long stream) {
        long h = SplitMix64.mix(stream + SplitMix64.GOLDEN_GAMMA);
        for (long w : new long[] {s0, s1, s2, s3}) h = SplitMix64.mix(h ^ w) + SplitMix64.GOLDEN_GAMMA;
        return new Rng(h);
    }

    // ------------------------------------------------------------------ scalars

    /** Uniform in [0, 1) with 24 random bits (every float of the form k·2⁻²⁴). */
    @Override
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    @Override
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound) without modulo bias (Lemire, "Fast random integer generation in an interval", 2019). */
    @Override
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("Rng.nextInt: bound must be positive, got " + bound);
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xffffffffL;
        if (low < bound) {
            long threshold = (0x1_0000_0000L - bound) % bound; // 2³² mod bound: the biased low end
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xffffffffL;
            }
        }
        return (int) (m >>> 32);
    }

    /** A standard normal (one Box–Muller draw; the paired value is discarded so no state is cached). */
    @Override
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(), u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    // ------------------------------------------------------------------ arrays (initialisers)

    /** {@code n} values uniform in [lo, hi) (a draw that rounds up to hi in float becomes the float below it). */
    public float[] uniform(int n, float lo, float hi) {
        checkCount("uniform", n);
        if (!(lo <= hi)) throw new IllegalArgumentException("Rng.uniform: lo " + lo + " > hi " + hi);
        float[] out = new float[n];
        double width = (double) hi - lo;
        float top = lo < hi ? Math.nextDown(hi) : hi;
        for (int i = 0; i < n; i++) out[i] = Math.min(top, (float) (lo + width * nextFloat()));
        return out;
    }

    /**
     * {@code n} normal values, Box–Muller in double: u1 ∈ (0, 1], u2 ∈ [0, 1),
     * r = √(−2 ln u1), values r·cos 2πu2 and r·sin 2πu2 (both used; an odd last one drops its pair).
     */
    public float[] normal(int n, float mean, float std) {
        checkCount("normal", n);
        if (!(std >= 0)) throw new IllegalArgumentException("Rng.normal: std must be >= 0, got " + std);
        float[] out = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = 1.0 - nextDouble(), u2 = nextDouble();
            double r = Math.sqrt(-2.0 * Math.log(u1)), theta = 2.0 * Math.PI * u2;
            out[i] = (float) (mean + std * r * Math.cos(theta));
            if (i + 1 < n) out[i + 1] = (float) (mean + std * r * Math.sin(theta));
        }
        return out;
    }

    /**
     * {@code n} values from N(0, std²) restricted to [lo, hi], by rejection. The cut-offs are absolute values,
     * as in timm's {@code trunc_normal_(t, std, a, b)}: CAE cuts std 0.02 at ±0.02 (one std, 68% accepted),
     * MAE's heads use std 2e-5 / 0.01 with the default ±2 (effectively a plain normal) — docs/vit.md#initialisation.
     * Intervals holding less than 1e-4 of the mass are refused rather than looping for a long time.
     */
    public float[] truncatedNormal(int n, float std, float lo, float hi) {
        checkCount("truncatedNormal", n);
        if (!(std > 0) || !(lo < hi)) {
            throw new IllegalArgumentException("Rng.truncatedNormal: need std > 0 and lo < hi, got std " + std
                    + ", [" + lo + ", " + hi + "]");
        }
        double mass = 0.5 * (Erf.erf(hi / (std * Math.sqrt(2))) - Erf.erf(lo / (std * Math.sqrt(2))));
        if (mass < 1e-4) {
            throw new IllegalArgumentException("Rng.truncatedNormal: [" + lo + ", " + hi + "] holds only " + mass
                    + " of N(0, " + std + "²); rejection sampling would not finish");
        }
        float[] out = new float[n];
        int filled = 0;
        while (filled < n) {
            double u1 = 1.0 - nextDouble(), u2 = nextDouble();
            double r = Math.sqrt(-2.0 * Math.log(u1)), theta = 2.0 * Math.PI * u2;
            for (double z : new double[] {r * Math.cos(theta), r * Math.sin(theta)}) {
                float v = (float) (std * z);
                if (filled < n && v >= lo && v <= hi) out[filled++] = v;
            }
        }
        return out;
    }

    /**
     * A [fanOut, fanIn] weight (torch.nn.init.xavier_uniform_, Glorot and Bengio 2010): U(±√(6/(fanIn+fanOut))).
     * MAE and CAE initialise every Linear this way (docs/vit.md#initialisation).
     */
    public float[] xavierUniform(int fanOut, int fanIn) {
        if (fanOut <= 0 || fanIn <= 0) {
            throw new IllegalArgumentException("Rng.xavierUniform: fans must be positive, got [" + fanOut + ", " + fanIn + "]");
        }
        long n = (long) fanOut * fanIn;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("Rng.xavierUniform: " + n + " elements is too many");
        float bound = (float) Math.sqrt(6.0 / ((double) fanIn + fanOut));
        return uniform((int) n, -bound, bound);
    }

    /** A uniformly random permutation of 0..n−1 (Fisher–Yates, Durstenfeld's in-place form). */
    public int[] permutation(int n) {
        checkCount("permutation", n);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static void checkCount(String what, int n) {
        if (n < 0) throw new IllegalArgumentException("Rng." + what + ": negative count " + n);
    }

    @Override
    public String toString() {
        return "Rng(xoshiro256**, state " + Arrays.toString(state()) + ")";
    }
}
