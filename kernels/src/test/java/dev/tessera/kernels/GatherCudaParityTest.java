package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.kernels.GpuTestSupport.Pair;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * gather.cu vs GatherCpu at several block sizes: MAE's keep (ViT-B width: 8 images, 196 patches, keep 49,
 * 768 wide), the un-shuffle (a full permutation), inner = 1, and scatter-add with repeated indices (the
 * atomic path). A bad index must throw the CPU's IndexOutOfBoundsException at the next download.
 *
 * <p>Tolerances: gather and permutation scatters are exact (one add per destination); repeated indices add
 * in arrival order → atol 1e-5 for a handful of terms of |x| ≤ 1.
 */
class GatherCudaParityTest extends GpuTest {
    static final int[] BLOCKS = {32, 256, 1024};

    static int[] shuffledIndices(long seed, int outer, int length, int keep) {
        Random r = new Random(seed);
        int[] idx = new int[outer * keep];
        for (int o = 0; o < outer; o++) {
            int[] p = new int[length];
            for (int i = 0; i < length; i++) p[i] = i;
            for (int i = length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            System.arraycopy(p, 0, idx, o * keep, keep);
        }
        return idx;
    }

    void check(int outer, int length, int idxLen, int inner, int[] idx, boolean repeated) {
        float[] src = uniform(61, outer * length * inner, -1f, 1f);
        float[] upd = uniform(62, outer * idxLen * inner, -1f, 1f), dst0 = uniform(63, outer * length * inner, -1f, 1f);
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Pair ps = Pair.of(gpu, src), pi = Pair.ints(gpu, idx), pu = Pair.of(gpu, upd);
            Buffer co = CPU.allocate(outer * idxLen * inner);
            CPU.gather(ps.cpu(), pi.cpu(), co, outer, length, idxLen, inner);
            Buffer cd = GpuTestSupport.put(CPU, dst0);
            CPU.scatterAdd(pu.cpu(), pi.cpu(), cd, outer, length, idxLen, inner);
            float[] eGather = CPU.download(co), eScatter = CPU.download(cd);
            String shape = " [" + outer + ", " + length + " -> " + idxLen + ", " + inner + "]";
            for (int block : BLOCKS) {
                Buffer go = gpu.allocate(outer * idxLen * inner);
                gpu.gatherKernels().gather(ps.gpu(), pi.gpu(), go, outer, length, idxLen, inner, block);
                assertClose("gather block " + block + shape, eGather, gpu.download(go), 0, 0);
                Buffer gd = GpuTestSupport.put(gpu, dst0);
                gpu.gatherKernels().scatterAdd(pu.gpu(), pi.gpu(), gd, outer, length, idxLen, inner, block);
                assertClose("scatterAdd block " + block + shape, eScatter, gpu.download(gd), repeated ? 1e-5 : 0, 0);
            }
        }
    }

    @Test
    void maeKeepAndRestore() {
        check(8, 196, 49, 768, shuffledIndices(1, 8, 196, 49), false);
        check(8, 196, 196, 768, shuffledIndices(2, 8, 196, 196), false);
        check(3, 50, 17, 1, shuffledIndices(3, 3, 50, 17), false);
    }

    @Test
    void repeatedIndicesAccumulate() {
        int outer = 2, length = 5, idxLen = 40, inner = 33;
        int[] idx = new int[outer * idxLen];
        for (int i = 0; i < idx.length; i++) idx[i] = (i * 7) % length;
        check(outer, length, idxLen, inner, idx, true);
    }

    @Test
    void badIndexThrowsTheCpuMessage() {
        try (StepScope _ = gpu.openScope(); StepScope _ = CPU.openScope()) {
            int[] idx = {0, 1, 2, 3, 4, 0, 7, 1};
            Pair pi = Pair.ints(gpu, idx);
            Buffer src = gpu.allocate(2 * 5 * 3), out = gpu.allocate(2 * 4 * 3);
            var cpuErr = assertThrows(IndexOutOfBoundsException.class,
                    () -> CPU.gather(CPU.allocate(30), pi.cpu(), CPU.allocate(24), 2, 5, 4, 3));
            gpu.gather(src, pi.gpu(), out, 2, 5, 4, 3);
            var e = assertThrows(IndexOutOfBoundsException.class, () -> gpu.download(out));
            assertEquals(cpuErr.getMessage(), e.getMessage());
            gpu.download(out);  // the error was reported once and cleared
        }
    }
}
