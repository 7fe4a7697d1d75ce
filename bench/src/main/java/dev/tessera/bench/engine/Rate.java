package dev.tessera.bench.engine;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Derived rates printed next to JMH's ops/s: a benchmark adds the work one invocation did, and in throughput
 * mode JMH divides by the measured time, so the secondary results {@code :gflops} and {@code :gbytes} read
 * directly as GFLOP/s and GB/s (10⁹, not 2³⁰). Work is a nominal count stated by each benchmark (the same
 * count is used in {@code pytorch_cpu_ops.py}), so Tessera/PyTorch ratios of these rates are time ratios.
 */
public final class Rate {
    private Rate() {}

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        /** 10⁹ floating-point operations done so far in this iteration. */
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() {
            gflops = 0;
        }
    }

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        /** 10⁹ bytes moved so far in this iteration. */
        public double gbytes;

        @Setup(Level.Iteration)
        public void reset() {
            gbytes = 0;
        }
    }
}
