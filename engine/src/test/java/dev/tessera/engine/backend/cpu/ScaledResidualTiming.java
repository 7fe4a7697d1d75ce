package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.ReduceOp;

/**
 * Direction check for {@link ScaledResidualCpu} against the primitives {@code Backend}'s default composes (the
 * three ops a block ran before): a cae-tiny residual at batch 256, [256, 26, 192], forward and backward alternated
 * in one JVM on 2 threads, wall time (the work is split over both threads). Not a test; run by hand after
 * {@code test-compile}:
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp engine/target/classes:engine/target/test-classes \
 *     dev.tessera.engine.backend.cpu.ScaledResidualTiming
 * </pre>
 */
final class ScaledResidualTiming {
    private ScaledResidualTiming() {}

    public static void main(String[] args) {
        int s = 256, r = 26, c = 192, n = s * r * c, reps = 50;
        int[] shape = {s, r, c}, dense = {r * c, c, 1}, cols = {0, 0, 1}, samples = {1, 0, 0};
        try (CpuBackend be = new CpuBackend(2)) {
            Buffer x = random(be, n, 1), a = random(be, n, 2), g = random(be, n, 3), gamma = random(be, c, 4);
            Buffer keep = be.allocate(s);
            float[] k = new float[s];
            for (int i = 0; i < s; i++) k[i] = i % 10 == 0 ? 0f : 1f / 0.9f;
            be.upload(k, keep);
            Buffer out = be.allocate(n), t = be.allocate(n), u = be.allocate(n), da = be.allocate(n), prod = be.allocate(n);
            Buffer perSample = be.allocate(s * c), dgamma = be.allocate(c);
            for (int round = 0; round < 12; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    be.binary(BinaryOp.MUL, a, dense, gamma, cols, t, shape);
                    be.binary(BinaryOp.MUL, t, dense, keep, samples, u, shape);
                    be.binary(BinaryOp.ADD, x, dense, u, dense, out, shape);
                }
                long tm = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    be.binary(BinaryOp.MUL, g, dense, keep, samples, t, shape);
                    be.binary(BinaryOp.MUL, t, dense, gamma, cols, da, shape);
                    be.binary(BinaryOp.MUL, t, dense, a, dense, prod, shape);
                    be.reduce(ReduceOp.SUM, prod, s, r, c, perSample);
                    be.reduce(ReduceOp.SUM, perSample, 1, s, c, dgamma);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < reps; i++) be.scaledResidual(x, a, gamma, keep, s, r, c, out);
                long t2 = System.nanoTime();
                for (int i = 0; i < reps; i++) be.scaledResidualBackward(g, a, gamma, keep, s, r, c, da, false, dgamma);
                long t3 = System.nanoTime();
                System.out.printf("round %d: forward composed %.2f ms, fused %.2f ms; backward composed %.2f ms, fused %.2f ms"
                        + " (forward+backward %.1fx)%n", round, (tm - t0) / 1e6 / reps, (t2 - t1) / 1e6 / reps,
                        (t1 - tm) / 1e6 / reps, (t3 - t2) / 1e6 / reps, (double) (t1 - t0) / (t3 - t1));
            }
        }
    }

    private static Buffer random(CpuBackend be, int n, long seed) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        Buffer b = be.allocate(n);
        be.upload(v, b);
        return b;
    }
}
