package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * gemm.cu (all three versions) and, when a cuBLAS is found (13 through FFM, or 12 through JCublas2), cuBLAS in fp32
 * and TF32, vs the CPU's Sgemm:
 * all four transpose combinations × shapes: 1×1×1, sizes that are not multiples of any tile (65×33×17),
 * k = 0, batched with a shared (stride 0) B, alpha ≠ 1, beta = 0 over a C full of NaN (must not be read),
 * beta = 1 (accumulate), and the ViT-S/B MLP products (64·197 tokens is too slow for the CPU reference in a
 * test, so 16·197 = 3152 rows).
 *
 * <p>Tolerance: both sides accumulate k float products in k order, the GPU with FMAs (one rounding instead
 * of two) → differences grow with k: atol 1e-6 + 3e-7·k (inputs in [-1, 1]), rtol 1e-5. TF32 (cuBLAS only,
 * opt-in) rounds inputs to 10-bit mantissas (relative 2⁻¹¹ each) → atol 2e-3·√k, rtol 1e-2.
 */
@Tag("gpu")
class GemmCudaParityTest {
    static CudaBackend gpu;

    @BeforeAll
    static void start() {
        gpu = GpuTestSupport.startOrNull(new CudaOptions(false, false, false));
    }

    @BeforeEach
    void requireGpu() {
        GpuTestSupport.assumeGpu(gpu);
    }

    @AfterAll
    static void stop() {
        if (gpu != null) gpu.close();
    }

    /** batch, m, n, k, aBatchStride marker (-1 = contiguous, 0 = shared), alpha, beta. */
    static Stream<Arguments> shapes() {
        return Stream.of(Arguments.of(1, 1, 1, 1, -1, 1f, 0f), Arguments.of(1, 65, 33, 17, -1, 1f, 0f),
                Arguments.of(1, 7, 5, 0, -1, 1f, 0.5f), Arguments.of(3, 100, 70, 129, -1, 0.5f, 0f),
                Arguments.of(4, 31, 130, 64, 0, 1f, 1f), Arguments.of(1, 3152, 1536, 384, -1, 1f, 0f),
                Arguments.of(1, 3152, 768, 3072, -1, 1f, 1f));
    }

    @ParameterizedTest(name = "batch={0} m={1} n={2} k={3} sharedB={4} alpha={5} beta={6}")
    @MethodSource("shapes")
    void ownKernelsMatchCpu(int batch, int m, int n, int k, int shared, float alpha, float beta) {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Case c = new Case(batch, m, n, k, shared == 0, alpha, beta, ta, tb);
                float[] expected = c.cpu();
                for (GemmCuda.Variant v : GemmCuda.Variant.values()) {
                    if (v == GemmCuda.Variant.V1_NAIVE && (long) m * n * k > 2e9) continue;  // minutes on v1
                    try (StepScope _ = gpu.openScope()) {
                        Buffer cBuf = c.gpuInputs(gpu);
                        gpu.gemmKernels().gemm(v, ta, tb, batch, m, n, k, alpha, c.ga, c.aStride, c.gb, c.bStride, beta, cBuf);
                        assertClose(v + " " + c, expected, gpu.download(cBuf), new int[] {batch, m, n},
                                1e-6 + 3e-7 * k, 1e-5);
                    }
                }
            }
        }
    }

    @Test
    void cublasMatchesCpuWhenAvailable() {
        if (!gpu.status().cublas()) {
            System.out.println("[gpu] cuBLAS parity skipped: " + gpu.status().gemm());
            return;
        }
        for (boolean tf32 : new boolean[] {false, true}) {
            try (CudaBackend cb = new CudaBackend(0, new CudaOptions(true, tf32, false))) {
                // the probe found a cuBLAS: the backend must run it, not fall back (a fallback is a binding bug)
                org.junit.jupiter.api.Assertions.assertTrue(cb.gemmDescription().startsWith("cuBLAS"), cb.gemmDescription());
                org.junit.jupiter.api.Assertions.assertEquals(tf32, cb.gemmUsesTf32(), cb.gemmDescription());
                shapes().forEach(a -> {
                    Object[] p = a.get();
                    int batch = (Integer) p[0], m = (Integer) p[1], n = (Integer) p[2], k = (Integer) p[3];
                    for (boolean ta : new boolean[] {false, true}) {
                        for (boolean tb : new boolean[] {false, true}) {
                            Case c = new Case(batch, m, n, k, (Integer) p[4] == 0, (Float) p[5], (Float) p[6], ta, tb);
                            float[] expected = c.cpu();
                            try (StepScope _ = cb.openScope()) {
                                Buffer cBuf = c.gpuInputs(cb);
                                cb.matmul(ta, tb, batch, m, n, k, c.alpha, c.ga, c.aStride, c.gb, c.bStride, c.beta, cBuf);
                                double atol = tf32 ? 2e-3 * Math.sqrt(Math.max(1, k)) : 1e-6 + 3e-7 * k;
                                assertClose(cb.gemmDescription() + " " + c, expected, cb.download(cBuf),
                                        new int[] {batch, m, n}, atol, tf32 ? 1e-2 : 1e-5);
                            }
                        }
                    }
                });
            }
        }
    }

    /** One product: random A, B, C, computed on the CPU once and uploaded to any GPU backend. */
    static final class Case {
        final int batch, m, n, k, aStride, bStride;
        final float alpha, beta;
        final boolean ta, tb;
        final float[] a, b, c0;
        Buffer ga, gb;

        Case(int batch, int m, int n, int k, boolean sharedB, float alpha, float beta, boolean ta, boolean tb) {
            this.batch = batch;
            this.m = m;
            this.n = n;
            this.k = k;
            this.alpha = alpha;
            this.beta = beta;
            this.ta = ta;
            this.tb = tb;
            this.aStride = m * k;
            this.bStride = sharedB ? 0 : k * n;
            a = uniform(31, Math.max(1, batch * m * k), -1f, 1f);
            b = uniform(32, Math.max(1, sharedB ? k * n : batch * k * n), -1f, 1f);
            c0 = beta == 0 ? nanArray(batch * m * n) : uniform(33, batch * m * n, -1f, 1f);
        }

        private static float[] nanArray(int n) {
            float[] v = new float[n];
            Arrays.fill(v, Float.NaN);
            return v;
        }

        float[] cpu() {
            try (StepScope _ = CPU.openScope()) {
                Buffer ca = GpuTestSupport.put(CPU, a), cb = GpuTestSupport.put(CPU, b), c = GpuTestSupport.put(CPU, c0);
                CPU.matmul(ta, tb, batch, m, n, k, alpha, ca, aStride, cb, bStride, beta, c);
                return CPU.download(c);
            }
        }

        /** Uploads A and B (kept in ga/gb) and returns a fresh C. Call inside a scope of {@code be}. */
        Buffer gpuInputs(CudaBackend be) {
            ga = GpuTestSupport.put(be, a);
            gb = GpuTestSupport.put(be, b);
            return GpuTestSupport.put(be, c0);
        }

        @Override
        public String toString() {
            return "C" + (ta ? "=Aᵀ" : "=A") + (tb ? "Bᵀ" : "B") + " batch " + batch + " m " + m + " n " + n + " k " + k
                    + (bStride == 0 ? " sharedB" : "") + " alpha " + alpha + " beta " + beta;
        }
    }
}
