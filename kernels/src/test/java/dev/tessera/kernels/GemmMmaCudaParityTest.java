package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * gemm_mma.cu (bf16 over fp32 and bf16 storage, tf32; all four layouts) vs the CPU's Sgemm on bf16- (or tf32-)
 * ROUNDED inputs, so the comparison isolates the kernel from the input rounding itself: shapes of GemmCudaParityTest (1×1×1, tails
 * 65×33×17 with odd k, k = 0, a shared B, alpha ≠ 1, beta = 0 over NaN and beta = 1) plus ViT-B/16 products
 * (16·197 = 3152 token rows: qkv 768→2304, fc1 768→3072, fc2 3072→768).
 *
 * <p>Tolerance: with exactly representable bf16 (tf32) inputs every product is exact; the two sides differ
 * only in fp32 accumulation order (the tensor core sums 16 (8) products at a time), so atol = 1e-5 + 3e-7·k
 * (inputs in [-1, 1]) and rtol 1e-5, as for the fp32 kernels. The tf32 reference rounds with
 * {@link #roundTf32} (ties away from zero, as cvt.rna.tf32.f32).
 */
class GemmMmaCudaParityTest extends GpuTest {

    static Stream<Arguments> shapes() {
        return GemmCudaParityTest.shapes();
    }

    /** fp32 rounded to tf32 (10 mantissa bits) to nearest, ties away from zero. */
    static float roundTf32(float x) {
        if (!Float.isFinite(x)) return x;
        return Float.intBitsToFloat((Float.floatToRawIntBits(x) + 0x1000) & 0xffffe000);
    }

    @ParameterizedTest(name = "batch={0} m={1} n={2} k={3} sharedB={4} alpha={5} beta={6}")
    @MethodSource("shapes")
    void bothStoragesMatchCpuOnRoundedInputs(int batch, int m, int n, int k, int shared, float alpha, float beta) {
        GemmMmaCuda mma = new GemmMmaCuda(gpu.launchContext());
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                GemmCudaParityTest.Case c = new GemmCudaParityTest.Case(batch, m, n, k, shared == 0, alpha, beta, ta, tb);
                float[] a = c.a.clone(), b = c.b.clone();
                System.arraycopy(Bf16.round(a), 0, c.a, 0, a.length);  // the CPU reference sees the rounded inputs
                System.arraycopy(Bf16.round(b), 0, c.b, 0, b.length);
                float[] expected = c.cpu();
                double atol = 1e-5 + 3e-7 * k;
                try (StepScope _ = gpu.openScope()) {
                    Buffer cBuf = GpuTestSupport.put(gpu, c.c0);
                    Buffer ga = GpuTestSupport.put(gpu, a), gb = GpuTestSupport.put(gpu, b);  // unrounded: the kernel rounds
                    mma.gemm(ta, tb, batch, m, n, k, alpha, ga, c.aStride, gb, c.bStride, beta, cBuf);
                    assertClose("fp32 storage " + c, expected, gpu.download(cBuf), new int[] {batch, m, n}, atol, 1e-5);

                    Buffer cBuf2 = GpuTestSupport.put(gpu, c.c0);
                    Buffer pa = GpuTestSupport.putInts(gpu, Bf16.pack(a)), pb = GpuTestSupport.putInts(gpu, Bf16.pack(b));
                    mma.gemmBf16(ta, tb, batch, m, n, k, alpha, pa, c.aStride, pb, c.bStride, beta, cBuf2);
                    assertClose("bf16 storage " + c, expected, gpu.download(cBuf2), new int[] {batch, m, n}, atol, 1e-5);
                }
                for (int i = 0; i < a.length; i++) c.a[i] = roundTf32(a[i]);
                for (int i = 0; i < b.length; i++) c.b[i] = roundTf32(b[i]);
                float[] expectedTf32 = c.cpu();
                try (StepScope _ = gpu.openScope()) {
                    Buffer cBuf = GpuTestSupport.put(gpu, c.c0);
                    mma.gemmTf32(ta, tb, batch, m, n, k, alpha, GpuTestSupport.put(gpu, a), c.aStride,
                            GpuTestSupport.put(gpu, b), c.bStride, beta, cBuf);
                    assertClose("tf32 " + c, expectedTf32, gpu.download(cBuf), new int[] {batch, m, n}, atol, 1e-5);
                }
            }
        }
    }
}
