package dev.tessera.bench.engine;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.cpu.CpuBackend;
import java.util.SplittableRandom;

/**
 * What every engine benchmark needs: a {@link CpuBackend} with the requested thread count (2 by default,
 * matching {@code torch.set_num_threads(2)} in {@code bench/compare/pytorch_cpu_ops.py}), and seeded random
 * inputs uploaded through the {@link Backend} interface, the same way the model code gets its buffers.
 */
final class Fixtures {
    private Fixtures() {}

    static CpuBackend cpu(int threads) {
        CpuBackend be = new CpuBackend(threads);
        System.out.println("# backend: " + be.name() + ", sgemm: " + dev.tessera.engine.backend.cpu.Sgemm.describe());
        return be;
    }

    /** Uniform values in [lo, hi). */
    static Buffer uniform(Backend be, int n, long seed, float lo, float hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        Buffer b = be.allocate(n);
        be.upload(x, b);
        return b;
    }

    static Buffer uniform(Backend be, int n, long seed) {
        return uniform(be, n, seed, -1f, 1f);
    }

    /** Per row, the first {@code idxLen} entries of a random permutation of [0, srcLen): MAE's ids_keep. */
    static Buffer permutationPrefixes(Backend be, int outer, int srcLen, int idxLen, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] idx = new int[outer * idxLen], perm = new int[srcLen];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < srcLen; i++) perm[i] = i;
            for (int i = srcLen - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            System.arraycopy(perm, 0, idx, o * idxLen, idxLen);
        }
        Buffer b = be.allocateInts(idx.length);
        be.uploadInts(idx, b);
        return b;
    }
}
