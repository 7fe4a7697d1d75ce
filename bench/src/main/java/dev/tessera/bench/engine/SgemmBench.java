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
 * SGEMM through {@code Backend.matmul}: 1024³, and the four linear layers of a ViT block for Tiny, Small and
 * Base (D = 192, 384, 768) on a batch of 16 images × 197 tokens, i.e. M = 3152 rows and
 * (N, K) = (3D, D) qkv, (D, D) proj, (4D, D) fc1, (D, 4D) fc2. The secondary result {@code gemm:gflops} is
 * GFLOP/s (2·M·N·K per call).
 *
 * <p>{@code layout} is how the operands are stored for the same M×N×K product: NN = A [M,K], B [K,N];
 * NT = B stored [N,K] (a linear layer's forward, x·Wᵀ with timm's [out, in] weight); TN = A stored [K,M]
 * (the weight-gradient side of backward).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SgemmBench {

    /** M x N x K. */
    @Param({
        "1024x1024x1024",
        "3152x576x192", "3152x192x192", "3152x768x192", "3152x192x768",        // ViT-Tiny  qkv, proj, fc1, fc2
        "3152x1152x384", "3152x384x384", "3152x1536x384", "3152x384x1536",     // ViT-Small
        "3152x2304x768", "3152x768x768", "3152x3072x768", "3152x768x3072",     // ViT-Base
    })
    public String shape;

    @Param({"NN", "NT", "TN"})
    public String layout;

    @Param("2")
    public int threads;

    private CpuBackend be;
    private Buffer a, b, c;
    private int m, n, k;
    private boolean transA, transB;
    private double gflopPerCall;

    @Setup(Level.Trial)
    public void setUp() {
        String[] d = shape.split("x");
        m = Integer.parseInt(d[0]);
        n = Integer.parseInt(d[1]);
        k = Integer.parseInt(d[2]);
        transA = layout.charAt(0) == 'T';
        transB = layout.charAt(1) == 'T';
        gflopPerCall = 2e-9 * m * n * k;
        be = Fixtures.cpu(threads);
        a = Fixtures.uniform(be, m * k, 1);
        b = Fixtures.uniform(be, k * n, 2);
        c = be.allocate(m * n);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }

    @Benchmark
    public void gemm(Rate.Flops rate) {
        be.matmul(transA, transB, 1, m, n, k, 1f, a, 0, b, 0, 0f, c);
        be.synchronize();
        rate.gflops += gflopPerCall;
    }
}
