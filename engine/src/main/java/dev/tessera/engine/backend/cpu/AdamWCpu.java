package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.AdamWStep;

/**
 * Fused AdamW over a flat parameter range (Loshchilov and Hutter 2019, Alg. 2; the form of torch.optim.AdamW):
 * p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 * p ← p − lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + eps).
 * The CPU reference for {@code AdamWCuda}; the order of operations matches PyTorch so goldens agree.
 */
public final class AdamWCpu {
    private AdamWCpu() {}

    public static void step(Parallel par, float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo,
                            int n, AdamWStep s) {
        double bc1 = 1.0 - Math.pow(s.beta1(), s.step());
        double bc2 = 1.0 - Math.pow(s.beta2(), s.step());
        float stepSize = (float) (s.lr() / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float decay = 1f - s.lr() * s.weightDecay();
        float b1 = s.beta1(), b2 = s.beta2(), eps = s.eps();
        par.forRange(n, 8192, (from, to) -> {
            for (int i = from; i < to; i++) {
                float gi = g[go + i];
                float mi = b1 * m[mo + i] + (1 - b1) * gi;
                float vi = b2 * v[vo + i] + (1 - b2) * gi * gi;
                m[mo + i] = mi;
                v[vo + i] = vi;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                p[po + i] = p[po + i] * decay - stepSize * mi / denom;
            }
        });
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
