package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;

import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;
import dev.tessera.kernels.GpuTestSupport.Pair;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * strided.cu vs StridedCpu / CpuBackend.unary at block sizes 32…1024: copies (contiguous, transpose,
 * a 4-D permute, MAE's patchify as a 6-D view, a broadcast read, an accumulating reduction into a 0-stride
 * destination which takes the atomic kernel, a rank-9 view that merges), every UnaryOp and every BinaryOp
 * with same-shape, row-broadcast and scalar-broadcast operands, and in-place accumulation (out aliases a).
 *
 * <p>Tolerances: copies are exact, except the atomic accumulate (float adds in arrival order: atol 1e-5 for
 * ≤ 64 terms of |x| ≤ 1). Elementwise: CUDA's expf/logf/tanhf/erff/powf are 1–4 ulp from the correctly
 * rounded value and the CPU reference computes several in double → rtol 1e-6 (≈ 8 ulp), atol 1e-6 for
 * results near 0 (GELU_GRAD combines two erf/exp terms: atol 2e-6).
 */
class StridedCudaParityTest extends GpuTest {
    static final int[] BLOCKS = {32, 128, 256, 1024};

    /** src length, dst length, shape, src strides, dst strides, accumulate. */
    record Copy(String name, int srcLen, int dstLen, int[] shape, int[] ss, int[] ds, boolean acc) {}

    static List<Copy> copies() {
        int[] c4 = StridedCuda.contiguousStrides(new int[] {2, 3, 5, 7});
        // patchify: images [N=2, C=3, H=8, W=8] with p = 4 viewed as [N, h, w, p, p, C] -> contiguous
        int[] patchShape = {2, 2, 2, 4, 4, 3};
        int[] patchSrc = {192, 32, 4, 8, 1, 64};
        int[] nine = {2, 1, 2, 2, 2, 2, 2, 2, 3};
        return List.of(
                new Copy("contiguous", 10_007, 10_007, new int[] {10_007}, new int[] {1}, new int[] {1}, false),
                new Copy("transpose 37x53", 37 * 53, 37 * 53, new int[] {53, 37}, new int[] {1, 53}, new int[] {37, 1}, false),
                new Copy("permute 0213", 210, 210, new int[] {2, 5, 3, 7}, new int[] {c4[0], c4[2], c4[1], c4[3]},
                        StridedCuda.contiguousStrides(new int[] {2, 5, 3, 7}), false),
                new Copy("patchify", 384, 384, patchShape, patchSrc, StridedCuda.contiguousStrides(patchShape), false),
                new Copy("broadcast read", 33, 17 * 33, new int[] {17, 33}, new int[] {0, 1}, new int[] {33, 1}, false),
                new Copy("accumulate into transpose", 37 * 53, 37 * 53, new int[] {53, 37}, new int[] {1, 53},
                        new int[] {37, 1}, true),
                new Copy("accumulate into 0 stride (atomic)", 64 * 385, 385, new int[] {64, 385}, new int[] {385, 1},
                        new int[] {0, 1}, true),
                new Copy("rank 9 merging", 384, 384, nine, StridedCuda.contiguousStrides(nine),
                        StridedCuda.contiguousStrides(nine), true));
    }

    @Test
    void copyStridedMatchesCpu() {
        for (Copy c : copies()) {
            float[] src = uniform(51, c.srcLen(), -1f, 1f), dst0 = uniform(52, c.dstLen(), -1f, 1f);
            try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                Pair ps = Pair.of(gpu, src);
                Buffer cd = GpuTestSupport.put(CPU, dst0);
                CPU.copyStrided(ps.cpu(), c.ss(), cd, c.ds(), c.shape(), c.acc());
                float[] expected = CPU.download(cd);
                boolean atomic = c.name().contains("atomic");
                for (int block : BLOCKS) {
                    Buffer gd = GpuTestSupport.put(gpu, dst0);
                    gpu.strided().copy(ps.gpu(), c.ss(), gd, c.ds(), c.shape(), c.acc(), block);
                    assertClose(c.name() + " block " + block, expected, gpu.download(gd), atomic ? 1e-5 : 0, 0);
                }
            }
        }
    }

    @Test
    void unaryMatchesCpu() {
        int n = 4099;
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.POW;
            float[] x = uniform(53, n, positive ? 0.05f : -4f, 4f);
            float p = op == UnaryOp.POW ? 1.7f : op == UnaryOp.SCALE ? -0.3f : 0.25f;
            try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                Pair px = Pair.of(gpu, x);
                Buffer co = CPU.allocate(n);
                CPU.unary(op, p, px.cpu(), co);
                float[] expected = CPU.download(co);
                for (int block : BLOCKS) {
                    Buffer go = gpu.allocate(n);
                    gpu.strided().unary(op, p, px.gpu(), go, block);
                    assertClose("unary " + op + " block " + block, expected, gpu.download(go), 1e-6, 1e-6);
                }
                // in place: out is x
                Buffer inPlace = GpuTestSupport.put(gpu, x);
                gpu.strided().unary(op, p, inPlace, inPlace, 256);
                assertClose("unary " + op + " in place", expected, gpu.download(inPlace), 1e-6, 1e-6);
            }
        }
    }

    @Test
    void binaryMatchesCpu() {
        int rows = 97, cols = 65;
        int[] shape = {rows, cols};
        float[] a = uniform(54, rows * cols, -3f, 3f), b = uniform(55, rows * cols, 0.2f, 3f);
        record Operands(String name, int bLen, int[] bs) {}
        List<Operands> layouts = List.of(new Operands("same shape", rows * cols, new int[] {cols, 1}),
                new Operands("row broadcast", cols, new int[] {0, 1}), new Operands("column broadcast", rows, new int[] {1, 0}),
                new Operands("scalar", 1, new int[] {0, 0}));
        for (BinaryOp op : BinaryOp.values()) {
            double atol = op == BinaryOp.GELU_GRAD ? 2e-6 : 1e-6;
            for (Operands o : layouts) {
                float[] bv = java.util.Arrays.copyOf(b, o.bLen());
                try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                    Pair pa = Pair.of(gpu, a), pb = Pair.of(gpu, bv);
                    Buffer co = CPU.allocate(rows * cols);
                    CPU.binary(op, pa.cpu(), new int[] {cols, 1}, pb.cpu(), o.bs(), co, shape);
                    float[] expected = CPU.download(co);
                    for (int block : BLOCKS) {
                        Buffer go = gpu.allocate(rows * cols);
                        gpu.strided().binary(op, pa.gpu(), new int[] {cols, 1}, pb.gpu(), o.bs(), go, shape, block);
                        assertClose(op + " " + o.name() + " block " + block, expected, gpu.download(go), shape, atol, 1e-6);
                    }
                    Buffer alias = GpuTestSupport.put(gpu, a);  // out aliases a: in-place accumulation
                    gpu.strided().binary(op, alias, new int[] {cols, 1}, pb.gpu(), o.bs(), alias, shape, 256);
                    assertClose(op + " " + o.name() + " in place", expected, gpu.download(alias), shape, atol, 1e-6);
                }
            }
        }
    }

    @Test
    void maxAndMinFollowJavaOnNaNAndSignedZero() {
        float[] a = {Float.NaN, 1f, -0f, 0f, 2f}, b = {1f, Float.NaN, 0f, -0f, 2f};
        for (BinaryOp op : new BinaryOp[] {BinaryOp.MAX, BinaryOp.MIN}) {
            try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                Pair pa = Pair.of(gpu, a), pb = Pair.of(gpu, b);
                Buffer co = CPU.allocate(5), go = gpu.allocate(5);
                CPU.binary(op, pa.cpu(), new int[] {1}, pb.cpu(), new int[] {1}, co, new int[] {5});
                gpu.binary(op, pa.gpu(), new int[] {1}, pb.gpu(), new int[] {1}, go, new int[] {5});
                float[] e = CPU.download(co), g = gpu.download(go);
                for (int i = 0; i < 5; i++) {
                    org.junit.jupiter.api.Assertions.assertEquals(Float.floatToIntBits(e[i]), Float.floatToIntBits(g[i]),
                            op + " element " + i + ": expected " + e[i] + " got " + g[i]);
                }
            }
        }
    }
}
