package dev.tessera.engine.random;

/**
 * SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014; the
 * constants of Vigna's {@code splitmix64.c}). Used only to expand one 64-bit seed into the 256-bit state
 * of {@link Rng}, as the xoshiro authors recommend: consecutive outputs are never all zero, which is the
 * one state xoshiro must avoid.
 */
final class SplitMix64 {
    static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private long x;

    SplitMix64(long seed) {
        this.x = seed;
    }

    long next() {
        x += GOLDEN_GAMMA;
        return mix(x);
    }

    /** The output function alone: a bijection on 64-bit words with good avalanche. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
