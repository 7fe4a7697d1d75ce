package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * cuBLASLt 13 through FFM on the GPU: a Linear layer's forward with the BIAS epilogue and its weight gradient with
 * the BGRADB epilogue (the bias gradient), against the same products computed from Backend calls on the CPU. Skipped
 * where no libcublasLt.so.13 is found beside libcublas.so.13 (the reason is printed). Tolerance as GemmCudaParityTest's
 * fp32 rule: atol 1e-6 + 3e-7·k, rtol 1e-5.
 */
class CublasLtParityTest extends GpuTest {
    static CublasLt13 lt;
    static MemorySegment handle;
    static String skip;

    @BeforeAll
    static void bind() {
        if (gpu == null) return;
        try {
            Cublas13 lib = CudaLibraryLocator.system().locate(Cublas13::load).library();
            lt = lib.lt();
            if (lt == null) skip = "no " + CudaLibraryLocator.CUBLAS_LT + " beside " + lib.found().library();
            else handle = lt.create();
        } catch (RuntimeException e) {
            skip = CudaProbe.oneLine(e);
        }
        if (skip != null) System.out.println("[gpu] cuBLASLt parity skipped: " + skip);
    }

    @AfterAll
    static void unbind() {
        if (handle != null) lt.destroy(handle);
    }

    @Test
    void biasAndBiasGradientEpiloguesMatchTheCpu() {
        org.junit.jupiter.api.Assumptions.assumeTrue(skip == null, () -> "cuBLASLt: " + skip);
        int n = 197, in = 384, out = 96;
        float[] x = uniform(1, n * in, -1, 1), w = uniform(2, out * in, -1, 1), b = uniform(3, out, -1, 1);
        float[] dy = uniform(4, n * out, -1, 1);
        float[] y = new float[n * out], dw = new float[out * in], db = new float[out];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double acc = b[o];
                for (int i = 0; i < in; i++) acc += (double) x[r * in + i] * w[o * in + i];
                y[r * out + o] = (float) acc;
                db[o] += dy[r * out + o];
            }
        }
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double acc = 0;
                for (int r = 0; r < n; r++) acc += (double) dy[r * out + o] * x[r * in + i];
                dw[o * in + i] = (float) acc;
            }
        }
        LaunchContext lc = gpu.launchContext();
        long stream = NativeAddress.of(gpu.context().stream());
        try (StepScope _ = gpu.openScope()) {
            Buffer gx = GpuTestSupport.put(gpu, x), gw = GpuTestSupport.put(gpu, w), gb = GpuTestSupport.put(gpu, b);
            Buffer gdy = GpuTestSupport.put(gpu, dy), gy = gpu.allocate(n * out), gdw = gpu.allocate(out * in), gdb = gpu.allocate(out);
            CudaBuffer ws = lc.scratch(8 << 20);
            LtMatmulPlan fwd = LtMatmulPlan.of(false, true, 1, n, out, in, 0, 0, LtMatmulPlan.Epilogue.BIAS);
            lt.matmul(handle, fwd, GemmMapping.Types.FP32, 1f, addr(gw), addr(gx), 0f, addr(gy), addr(gb), addr(ws), 32L << 20, stream);
            LtMatmulPlan wgrad = LtMatmulPlan.of(true, false, 1, out, in, n, 0, 0, LtMatmulPlan.Epilogue.BGRADB);
            assertEquals(out, wgrad.vectorLength());
            lt.matmul(handle, wgrad, GemmMapping.Types.FP32, 1f, addr(gx), addr(gdy), 0f, addr(gdw), addr(gdb), addr(ws), 32L << 20, stream);
            assertClose("x·Wᵀ + b (BIAS)", y, gpu.download(gy), new int[] {n, out}, 1e-6 + 3e-7 * in, 1e-5);
            assertClose("dW (BGRADB)", dw, gpu.download(gdw), new int[] {out, in}, 1e-6 + 3e-7 * n, 1e-5);
            assertClose("db (BGRADB)", db, gpu.download(gdb), new int[] {out}, 1e-6 + 3e-7 * n, 1e-5);
            lc.release(ws);
        }
    }

    static long addr(Buffer b) {
        return NativeAddress.of(((CudaBuffer) b).pointer());
    }
}
