package dev.tessera.kernels;

import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * masking.cu vs MaskingCpu: MAE-B/16's shape (64 images, 196 patches, keep 49), a row longer than a block
 * (1000 tokens: several elements per thread), heavy ties with ±0, NaN and ±∞, keep 0 and keep = length, at
 * several block sizes.
 *
 * <p>Tolerance: none. Both rank the same integer keys, so every index and every mask value must be identical.
 */
class MaskingCudaParityTest extends GpuTest {
    static final int[] BLOCKS = {32, 256, 1024};

    void check(String tag, float[] noise, int rows, int length, int keep) {
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Buffer cn = GpuTestSupport.put(CPU, noise), gn = GpuTestSupport.put(gpu, noise);
            Buffer cs = CPU.allocateInts(rows * length), cr = CPU.allocateInts(rows * length);
            Buffer ck = CPU.allocateInts(rows * keep), cm = CPU.allocate(rows * length);
            CPU.argsortMask(cn, rows, length, keep, cs, cr, ck, cm);
            for (int block : BLOCKS) {
                String t = tag + " [" + rows + ", " + length + "] keep " + keep + " block " + block + ": ";
                Buffer gs = gpu.allocateInts(rows * length), gr = gpu.allocateInts(rows * length);
                Buffer gk = gpu.allocateInts(rows * keep), gm = gpu.allocate(rows * length);
                gpu.maskingKernels().argsortMask(gn, rows, length, keep, gs, gr, gk, gm, block);
                assertArrayEquals(CPU.downloadInts(cs), gpu.downloadInts(gs), t + "idsShuffle");
                assertArrayEquals(CPU.downloadInts(cr), gpu.downloadInts(gr), t + "idsRestore");
                assertArrayEquals(CPU.downloadInts(ck), gpu.downloadInts(gk), t + "idsKeep");
                assertArrayEquals(CPU.download(cm), gpu.download(gm), t + "mask");
            }
        }
    }

    @Test
    void identicalToCpu() {
        check("MAE-B/16", uniform(81, 64 * 196, 0f, 1f), 64, 196, 49);
        check("long rows", uniform(82, 3 * 1000, -1f, 1f), 3, 1000, 250);
        check("keep none", uniform(83, 2 * 49, 0f, 1f), 2, 49, 0);
        check("keep all", uniform(84, 2 * 49, 0f, 1f), 2, 49, 49);
        float[] pool = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE};
        Random r = new Random(85);
        float[] ties = new float[9 * 77];
        for (int i = 0; i < ties.length; i++) ties[i] = pool[r.nextInt(pool.length)];
        check("ties", ties, 9, 77, 20);
    }
}
