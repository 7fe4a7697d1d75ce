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
 * Row softmax of attention scores, [16 images × 6 heads × L, L] for ViT-S (L = 197 tokens) and the MAE
 * encoder (L = 50: 49 visible patches + cls). Secondary result GB/s: forward reads x and writes out
 * (8 bytes per element); backward reads dout and out and updates dx in place (16 bytes per element).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SoftmaxBench {

    @Param({"197", "50"})
    public int tokens;

    /** images × heads. */
    @Param("96")
    public int batchHeads;

    @Param("2")
    public int threads;

    private CpuBackend be;
    private Buffer x, out, dout, dx;
    private int rows, cols;

    @Setup(Level.Trial)
    public void setUp() {
        be = Fixtures.cpu(threads);
        rows = batchHeads * tokens;
        cols = tokens;
        x = Fixtures.uniform(be, rows * cols, 1, -4f, 4f);
        dout = Fixtures.uniform(be, rows * cols, 2);
        out = be.allocate(rows * cols);
        dx = be.allocate(rows * cols);
        be.softmaxForward(x, out, rows, cols, false);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }

    @Benchmark
    public void forward(Rate.Bytes rate) {
        be.softmaxForward(x, out, rows, cols, false);
        be.synchronize();
        rate.gbytes += 8e-9 * rows * cols;
    }

    @Benchmark
    public void backward(Rate.Bytes rate) {
        be.softmaxBackward(dout, out, dx, rows, cols, false);
        be.synchronize();
        rate.gbytes += 16e-9 * rows * cols;
    }
}
