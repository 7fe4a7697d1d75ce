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
 * Layer norm over the 3152 token rows of 16 ViT images, width D = 192 / 384 / 768. Memory-bound, so the
 * secondary result is GB/s of compulsory traffic: forward reads x and writes y (8 bytes per element);
 * backward reads dout and x and updates dx in place (16 bytes per element). γ/β/mean/rstd are O(rows + D)
 * and not counted.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LayerNormBench {

    @Param({"192", "384", "768"})
    public int width;

    @Param("3152")
    public int rows;

    @Param("2")
    public int threads;

    private CpuBackend be;
    private Buffer x, w, bias, y, mean, rstd, dout, dx, dw, db;
    private double elements;

    @Setup(Level.Trial)
    public void setUp() {
        be = Fixtures.cpu(threads);
        int n = rows * width;
        elements = n;
        x = Fixtures.uniform(be, n, 1);
        w = Fixtures.uniform(be, width, 2, 0.5f, 1.5f);
        bias = Fixtures.uniform(be, width, 3);
        dout = Fixtures.uniform(be, n, 4);
        y = be.allocate(n);
        dx = be.allocate(n);
        dw = be.allocate(width);
        db = be.allocate(width);
        mean = be.allocate(rows);
        rstd = be.allocate(rows);
        be.layerNormForward(x, w, bias, y, mean, rstd, rows, width, 1e-6f);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }

    @Benchmark
    public void forward(Rate.Bytes rate) {
        be.layerNormForward(x, w, bias, y, mean, rstd, rows, width, 1e-6f);
        be.synchronize();
        rate.gbytes += 8e-9 * elements;
    }

    /** Accumulates into dx/dw/db on every call, as backward does; magnitudes stay finite over a run. */
    @Benchmark
    public void backward(Rate.Bytes rate) {
        be.layerNormBackward(dout, x, w, mean, rstd, dx, dw, db, rows, width);
        be.synchronize();
        rate.gbytes += 16e-9 * elements;
    }
}
