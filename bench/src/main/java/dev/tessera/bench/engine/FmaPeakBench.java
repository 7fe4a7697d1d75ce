package dev.tessera.bench.engine;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The fp32 FMA peak of one core as the JVM reaches it: twelve independent vector FMA chains on registers only, no
 * memory traffic, the widest vectors the CPU has. It is the ceiling that SGEMM and step GFLOP/s are read against
 * ({@code :gflops}, 2 FLOP per lane per FMA). Twelve chains cover two FMA pipes × four cycles of latency with room
 * to spare, so the loop runs at the FMA issue rate. Run it with {@code -t 2} (one JMH thread per core) for the
 * machine's peak with every core busy, which is what a 2-thread training step can use at most.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FmaPeakBench {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** FMA rounds per invocation (each round: twelve vector FMAs). */
    private static final int ROUNDS = 1 << 20;

    private final float[] seed = new float[2 * SPECIES.length()];

    {
        java.util.Arrays.fill(seed, 0.999f);
    }

    @Benchmark
    public float fma(Rate.Flops flops) {
        FloatVector a = FloatVector.fromArray(SPECIES, seed, 0), b = FloatVector.fromArray(SPECIES, seed, SPECIES.length());
        FloatVector c0 = a, c1 = b, c2 = a, c3 = b, c4 = a, c5 = b, c6 = a, c7 = b, c8 = a, c9 = b, c10 = a, c11 = b;
        for (int i = 0; i < ROUNDS; i++) {
            c0 = a.fma(b, c0);
            c1 = a.fma(b, c1);
            c2 = a.fma(b, c2);
            c3 = a.fma(b, c3);
            c4 = a.fma(b, c4);
            c5 = a.fma(b, c5);
            c6 = a.fma(b, c6);
            c7 = a.fma(b, c7);
            c8 = a.fma(b, c8);
            c9 = a.fma(b, c9);
            c10 = a.fma(b, c10);
            c11 = a.fma(b, c11);
        }
        flops.gflops += 12.0 * 2 * SPECIES.length() * ROUNDS / 1e9;
        // The sum keeps every chain live, so none is optimised away.
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }
}
