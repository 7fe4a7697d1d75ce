package dev.tessera.bench.engine;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
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
 * The fused attention op, ViT-S shapes: 16 images × 6 heads, head dim 64, L = 197 tokens (full ViT) or 50
 * (MAE encoder: 49 visible + cls). Secondary result GFLOP/s with nominal counts: forward = 4·BH·L²·d
 * (q·kᵀ and P·v); backward = 10·BH·L²·d (recomputing q·kᵀ, then dP = dout·vᵀ, dq, dk, dv). Softmax
 * exponentials are not counted. Backward accumulates into dq/dk/dv, as the Backend contract says.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AttentionBench {

    @Param({"197", "50"})
    public int tokens;

    /** images × heads. */
    @Param("96")
    public int batchHeads;

    @Param("64")
    public int headDim;

    @Param("2")
    public int threads;

    private CpuBackend be;
    private Buffer q, k, v, out, lse, dout, dq, dk, dv;
    private float scale;
    private double unitGflop;

    @Setup(Level.Trial)
    public void setUp() {
        be = Fixtures.cpu(threads);
        int n = batchHeads * tokens * headDim;
        q = Fixtures.uniform(be, n, 1);
        k = Fixtures.uniform(be, n, 2);
        v = Fixtures.uniform(be, n, 3);
        dout = Fixtures.uniform(be, n, 4);
        out = be.allocate(n);
        dq = be.allocate(n);
        dk = be.allocate(n);
        dv = be.allocate(n);
        lse = be.allocate(batchHeads * tokens);
        scale = (float) (1 / Math.sqrt(headDim));
        unitGflop = 1e-9 * batchHeads * (double) tokens * tokens * headDim;
        be.attentionForward(AttentionLayout.contiguous(batchHeads, tokens, tokens, headDim), q, k, v, out, lse, scale);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }

    @Benchmark
    public void forward(Rate.Flops rate) {
        be.attentionForward(AttentionLayout.contiguous(batchHeads, tokens, tokens, headDim), q, k, v, out, lse, scale);
        be.synchronize();
        rate.gflops += 4 * unitGflop;
    }

    @Benchmark
    public void backward(Rate.Flops rate) {
        be.attentionBackward(AttentionLayout.contiguous(batchHeads, tokens, tokens, headDim), q, k, v, out, lse, dout, dq, dk, dv, scale,
                GradMode.ACCUMULATE);
        be.synchronize();
        rate.gflops += 10 * unitGflop;
    }
}
