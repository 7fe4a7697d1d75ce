package dev.tessera.bench.engine;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.cpu.CpuBackend;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * MAE's token gathers on 16 images of 196 patches: {@code keep} selects 49 of 196 rows of width 384 (ViT-S
 * encoder input, ids_keep); {@code restore} un-shuffles all 196 rows of width 512 (decoder input,
 * ids_restore). scatterAdd is their backward. Secondary result GB/s: gather reads and writes each selected
 * row once (8 bytes per element); scatterAdd reads src and updates dst (12 bytes per element).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GatherBench {

    @Param({"keep", "restore"})
    public String kind;

    @Param("2")
    public int threads;

    private static final int IMAGES = 16, PATCHES = 196;

    private CpuBackend be;
    private Buffer src, index, out, grad;
    private int idxLen, inner;

    @Setup(Level.Trial)
    public void setUp() {
        be = Fixtures.cpu(threads);
        boolean keep = kind.equals("keep");
        idxLen = keep ? 49 : PATCHES;
        inner = keep ? 384 : 512;
        src = Fixtures.uniform(be, IMAGES * PATCHES * inner, 1);
        index = Fixtures.permutationPrefixes(be, IMAGES, PATCHES, idxLen, 2);
        out = be.allocate(IMAGES * idxLen * inner);
        grad = be.allocate(IMAGES * PATCHES * inner);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }

    @Benchmark
    public void gather(Rate.Bytes rate) {
        be.gather(src, index, out, IMAGES, PATCHES, idxLen, inner);
        be.synchronize();
        rate.gbytes += 8e-9 * IMAGES * idxLen * inner;
    }

    @Benchmark
    public void scatterAdd(Rate.Bytes rate) {
        be.scatterAdd(out, index, grad, IMAGES, PATCHES, idxLen, inner);
        be.synchronize();
        rate.gbytes += 12e-9 * IMAGES * idxLen * inner;
    }
}
