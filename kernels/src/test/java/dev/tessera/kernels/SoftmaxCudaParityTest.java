package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;

import dev.tessera.engine.backend.StepScope;
import dev.tessera.kernels.GpuTestSupport.Pair;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * softmax.cu vs SoftmaxCpu, softmax and log-softmax, every variant × block size × shapes (one element, odd
 * widths, attention-sized rows 197, ImageNet logits 1000, long rows 5000). Inputs span ±40 so the max
 * subtraction matters, and one entry per row is -∞ (a masked logit) in the wider shapes.
 *
 * <p>Tolerances: probabilities are exp/Σexp with a float sum over ≤ 5000 terms vs double → atol 1e-6,
 * rtol 2e-5; log-probabilities are x − lse with |lse| up to ~50 → atol 2e-5 (the float rounding of lse),
 * rtol 1e-6; backward is one more float row sum → atol 2e-5, rtol 1e-4. -∞ inputs must give exactly 0 / -∞.
 */
class SoftmaxCudaParityTest extends GpuTest {
    static Stream<Arguments> shapes() {
        return Stream.of(Arguments.of(1, 1), Arguments.of(3, 5), Arguments.of(7, 33), Arguments.of(6 * 197, 197),
                Arguments.of(64, 1000), Arguments.of(2, 5000));
    }

    static final int[] BLOCKS = {32, 64, 128, 256, 512, 1024};

    @ParameterizedTest(name = "rows={0} cols={1}")
    @MethodSource("shapes")
    void matchesCpuReference(int rows, int cols) {
        int n = rows * cols;
        float[] x = uniform(11, n, -40f, 40f);
        if (cols > 4) for (int r = 0; r < rows; r++) x[r * cols + (r % cols)] = Float.NEGATIVE_INFINITY;
        float[] dy = uniform(12, n, -1f, 1f), dx0 = uniform(13, n, -1f, 1f);
        for (boolean log : new boolean[] {false, true}) {
            try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                Pair px = Pair.of(gpu, x), pdy = Pair.of(gpu, dy);
                var y = CPU.allocate(n);
                CPU.softmaxForward(px.cpu(), y, rows, cols, log);
                var dx = GpuTestSupport.put(CPU, dx0);
                CPU.softmaxBackward(pdy.cpu(), y, dx, rows, cols, log);
                float[] eY = CPU.download(y), eDx = CPU.download(dx);
                double yAtol = log ? 2e-5 : 1e-6, yRtol = log ? 1e-6 : 2e-5;
                for (SoftmaxCuda.Variant v : SoftmaxCuda.Variant.values()) {
                    for (int block : BLOCKS) {
                        String tag = v + " block " + block + (log ? " log" : "") + " [" + rows + "x" + cols + "] ";
                        try (StepScope _ = gpu.openScope()) {
                            var gy = gpu.allocate(n);
                            gpu.softmax().forward(v, block, px.gpu(), gy, rows, cols, log);
                            GpuTestSupport.assertCloseWithInfinities(tag + "out", eY, gpu.download(gy), new int[] {rows, cols},
                                    yAtol, yRtol);
                            var gdx = GpuTestSupport.put(gpu, dx0);
                            // backward from the CPU's forward output, so only the backward kernel is compared
                            var yRef = GpuTestSupport.put(gpu, eY);
                            gpu.softmax().backward(v, block, pdy.gpu(), yRef, gdx, rows, cols, log);
                            assertClose(tag + "dx", eDx, gpu.download(gdx), new int[] {rows, cols}, 2e-5, 1e-4);
                        }
                    }
                }
            }
        }
    }
}
