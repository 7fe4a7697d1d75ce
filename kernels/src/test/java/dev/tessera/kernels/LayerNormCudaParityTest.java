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
 * layernorm.cu vs LayerNormCpu: every variant × every block size × awkward and real shapes (cols not a
 * multiple of 32, one row, one column, ViT-S 384 and ViT-B 768 widths, 64·197 token rows, a 2050-wide row).
 * Backward starts from non-zero dx/dw/db to check that it accumulates, and runs once with dw and dx absent.
 *
 * <p>Tolerances (atol + rtol·|ref|, see GpuTestSupport): forward statistics are float two-pass sums over
 * cols ≤ 2050 terms vs double on the CPU → 2e-5 abs/rel on out, mean, rstd; dx involves two more row sums
 * → 5e-5 abs, 1e-4 rel; dw/db sum over all rows in float (chunked on v2, sequential on v1) → atol grows
 * with rows: 1e-5 + 2e-6·rows.
 */
class LayerNormCudaParityTest extends GpuTest {
    static Stream<Arguments> shapes() {
        return Stream.of(Arguments.of(1, 1), Arguments.of(1, 7), Arguments.of(3, 33), Arguments.of(17, 100),
                Arguments.of(2, 1000), Arguments.of(2 * 197, 384), Arguments.of(197, 768),
                Arguments.of(64 * 197, 384), Arguments.of(5, 2050));
    }

    static final int[] BLOCKS = {32, 64, 128, 256, 512, 1024};

    @ParameterizedTest(name = "rows={0} cols={1}")
    @MethodSource("shapes")
    void matchesCpuReference(int rows, int cols) {
        int n = rows * cols;
        float[] x = uniform(1, n, 1f, 5f);  // offset from 0 so the mean matters
        float[] w = uniform(2, cols, 0.5f, 1.5f), b = uniform(3, cols, -0.5f, 0.5f);
        float[] dy = uniform(4, n, -1f, 1f), dx0 = uniform(5, n, -1f, 1f);
        float[] dw0 = uniform(6, cols, -1f, 1f), db0 = uniform(7, cols, -1f, 1f);
        float eps = 1e-6f;
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Pair px = Pair.of(gpu, x), pw = Pair.of(gpu, w), pb = Pair.of(gpu, b), pdy = Pair.of(gpu, dy);
            var out = CPU.allocate(n);
            var mean = CPU.allocate(rows);
            var rstd = CPU.allocate(rows);
            CPU.layerNormForward(px.cpu(), pw.cpu(), pb.cpu(), out, mean, rstd, rows, cols, eps);
            var dx = GpuTestSupport.put(CPU, dx0);
            var dw = GpuTestSupport.put(CPU, dw0);
            var db = GpuTestSupport.put(CPU, db0);
            CPU.layerNormBackward(pdy.cpu(), px.cpu(), pw.cpu(), mean, rstd, dx, dw, db, rows, cols);
            float[] eOut = CPU.download(out), eMean = CPU.download(mean), eRstd = CPU.download(rstd);
            float[] eDx = CPU.download(dx), eDw = CPU.download(dw), eDb = CPU.download(db);
            // dw alone (dx and db absent); dx alone must equal eDx since dx does not depend on dw/db
            var dwOnly = GpuTestSupport.put(CPU, dw0);
            CPU.layerNormBackward(pdy.cpu(), px.cpu(), pw.cpu(), mean, rstd, null, dwOnly, null, rows, cols);
            float[] eDwOnly = CPU.download(dwOnly);
            double sumAtol = 1e-5 + 2e-6 * rows;

            for (LayerNormCuda.Variant v : LayerNormCuda.Variant.values()) {
                for (int block : BLOCKS) {
                    String tag = v + " block " + block + " [" + rows + "x" + cols + "] ";
                    try (StepScope _ = gpu.openScope()) {
                        var gOut = gpu.allocate(n);
                        var gMean = gpu.allocate(rows);
                        var gRstd = gpu.allocate(rows);
                        gpu.layerNorm().forward(v, block, px.gpu(), pw.gpu(), pb.gpu(), gOut, gMean, gRstd, rows, cols, eps);
                        assertClose(tag + "out", eOut, gpu.download(gOut), new int[] {rows, cols}, 2e-5, 2e-5);
                        assertClose(tag + "mean", eMean, gpu.download(gMean), 2e-5, 2e-5);
                        assertClose(tag + "rstd", eRstd, gpu.download(gRstd), 2e-5, 2e-5);

                        var gDx = GpuTestSupport.put(gpu, dx0);
                        var gDw = GpuTestSupport.put(gpu, dw0);
                        var gDb = GpuTestSupport.put(gpu, db0);
                        gpu.layerNorm().backward(v, block, pdy.gpu(), px.gpu(), pw.gpu(), gMean, gRstd, gDx, gDw, gDb,
                                rows, cols);
                        assertClose(tag + "dx", eDx, gpu.download(gDx), new int[] {rows, cols}, 5e-5, 1e-4);
                        assertClose(tag + "dweight", eDw, gpu.download(gDw), sumAtol, 1e-5);
                        assertClose(tag + "dbias", eDb, gpu.download(gDb), sumAtol, 1e-5);

                        var gDwOnly = GpuTestSupport.put(gpu, dw0);
                        gpu.layerNorm().backward(v, block, pdy.gpu(), px.gpu(), pw.gpu(), gMean, gRstd, null, gDwOnly,
                                null, rows, cols);
                        assertClose(tag + "dweight alone", eDwOnly, gpu.download(gDwOnly), sumAtol, 1e-5);
                        var gDxOnly = GpuTestSupport.put(gpu, dx0);
                        gpu.layerNorm().backward(v, block, pdy.gpu(), px.gpu(), pw.gpu(), gMean, gRstd, gDxOnly, null,
                                null, rows, cols);
                        assertClose(tag + "dx alone", eDx, gpu.download(gDxOnly), new int[] {rows, cols}, 5e-5, 1e-4);
                    }
                }
            }
        }
    }
}
