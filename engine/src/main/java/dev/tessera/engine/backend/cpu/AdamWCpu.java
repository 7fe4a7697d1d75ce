package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.AdamWStep;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fused AdamW over a flat parameter range (Loshchilov and Hutter 2019, Alg. 2; the form of torch.optim.AdamW):
 * p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 * p ← p − lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + eps).
 * The CPU reference for {@code AdamWCuda}; the order of operations matches PyTorch so goldens agree.
 * It also reports whether it wrote a non-finite value, for the trainer's guard (an overflowing second moment
 * leaves the loss finite for a while, and a checkpoint of it cannot be resumed).
 */
public final class AdamWCpu {
    private AdamWCpu() {}

    /** One step over {@code n} elements; returns whether it wrote a NaN or infinity into m, v or p. */
    public static boolean step(Parallel par, float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo,
                               int n, AdamWStep s) {
        return step(par, p, po, g, go, m, mo, v, vo, n, Coefficients.of(s));
    }

    /** {@link #step} with the constants already made (from a device scalar block: {@code Backend.adamWScalars}). */
    static boolean step(Parallel par, float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo,
                        int n, Coefficients k) {
        AtomicBoolean nonFinite = new AtomicBoolean();
        par.forRange(n, 8192, (from, to) -> {
            if (range(k, p, po, g, go, m, mo, v, vo, from, to)) nonFinite.set(true);
        });
        return nonFinite.get();
    }

    /** The step's float constants, computed once per call the same way on every path. */
    record Coefficients(float stepSize, float bc2Sqrt, float decay, float b1, float b2, float eps, float c1, float c2) {
        static Coefficients of(AdamWStep s) {
            return of(s.scalars(), 0);
        }

        /** From the {@link AdamWStep#scalars} block at {@code off} of {@code k}. */
        static Coefficients of(float[] k, int off) {
            return new Coefficients(k[off + 5], k[off + 6], k[off + 7], k[off], k[off + 1], k[off + 4], k[off + 2], k[off + 3]);
        }
    }

    /** The update of elements [from, to), one at a time; returns whether it wrote a NaN or infinity. */
    static boolean range(Coefficients k, float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int from, int to) {
        boolean bad = false;
        for (int i = from; i < to; i++) {
            float gi = g[go + i];
            float mi = k.b1() * m[mo + i] + k.c1() * gi;
            float vi = k.b2() * v[vo + i] + k.c2() * gi * gi;
            m[mo + i] = mi;
            v[vo + i] = vi;
            float denom = (float) Math.sqrt(vi) / k.bc2Sqrt() + k.eps();
            float pi = p[po + i] * k.decay() - k.stepSize() * mi / denom;
            p[po + i] = pi;
            bad |= !(Float.isFinite(mi) & Float.isFinite(vi) & Float.isFinite(pi));
        }
        return bad;
    }

    /**
     * Checks a range table of {@code Backend.adamWRanges} (count offsets, then count + 1 running totals from 0) against
     * buffers of {@code n} elements and returns it as a host array: a bad table fails before anything is updated.
     */
    public static int[] checkRanges(int[] table, int offset, int length, int count, int n) {
        if (count < 0 || length != 2 * count + 1) {
            throw new IllegalArgumentException("adamWRanges: a table of " + count + " ranges has 2·count + 1 = " + (2 * count + 1)
                    + " elements, got " + length);
        }
        int[] r = java.util.Arrays.copyOfRange(table, offset, offset + length);
        if (r[count] != 0) throw new IllegalArgumentException("adamWRanges: the running totals must start at 0, got " + r[count]);
        for (int k = 0; k < count; k++) {
            int len = r[count + k + 1] - r[count + k];
            if (len < 0 || r[k] < 0 || (long) r[k] + len > n) {
                throw new IllegalArgumentException("adamWRanges: range " + k + " [" + r[k] + ", +" + len + ") is outside the "
                        + n + " elements");
            }
        }
        return r;
    }
}
