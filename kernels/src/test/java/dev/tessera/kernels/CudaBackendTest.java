package dev.tessera.kernels;

import static dev.tessera.kernels.GpuTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Backend contract details that are not kernels: memory, copies, views, ownership, errors. */
class CudaBackendTest extends GpuTest {
    @BeforeAll
    static void describe() {
        if (gpu != null) System.out.println("[gpu] " + gpu.status().describe() + "; matmul: " + gpu.gemmDescription());
    }

    @Test
    void uploadDownloadRoundTripsThroughTheStagingPool() {
        int n = PinnedStaging.MIN_BLOCK_BYTES / 4 * 3 + 12345;  // a block larger than the smallest
        float[] v = uniform(91, n, -1f, 1f);
        try (StepScope _ = gpu.openScope()) {
            Buffer b = GpuTestSupport.put(gpu, v);
            assertArrayEquals(v, gpu.download(b));
            int[] ints = new int[1000];
            for (int i = 0; i < ints.length; i++) ints[i] = i * 7 - 3000;
            Buffer bi = GpuTestSupport.putInts(gpu, ints);
            assertArrayEquals(ints, gpu.downloadInts(bi));
            assertArrayEquals(new float[0], gpu.download(gpu.allocate(0)));
        }
    }

    @Test
    void allocationsAreZeroEvenWhenReused() {
        for (int round = 0; round < 3; round++) {
            try (StepScope _ = gpu.openScope()) {
                Buffer b = gpu.allocate(4097);
                assertArrayEquals(new float[4097], gpu.download(b), "round " + round);
                gpu.fill(b, 3.5f);
            }
        }
    }

    @Test
    void slicesAreViews() {
        try (StepScope _ = gpu.openScope()) {
            float[] v = uniform(92, 100, -1f, 1f);
            Buffer b = GpuTestSupport.put(gpu, v);
            Buffer mid = b.slice(10, 20).slice(5, 10);
            assertArrayEquals(Arrays.copyOfRange(v, 15, 25), gpu.download(mid));
            gpu.fill(mid, 0f);
            float[] after = gpu.download(b);
            for (int i = 0; i < 100; i++) assertEquals(i >= 15 && i < 25 ? 0f : v[i], after[i], "element " + i);
            gpu.upload(new float[] {1f, 2f}, b.slice(98, 2));
            assertEquals(2f, gpu.download(b)[99]);
        }
    }

    @Test
    void misuseFailsWithPreciseErrors() {
        Buffer escaped;
        try (StepScope _ = gpu.openScope()) {
            escaped = gpu.allocate(10);
            var e = assertThrows(IllegalArgumentException.class, () -> gpu.upload(new float[3], gpu.allocate(4)));
            assertTrue(e.getMessage().contains("3 host elements for a buffer of 4"), e.getMessage());
            var cpuBuf = GpuTestSupport.CPU.allocate(4);
            var f = assertThrows(IllegalArgumentException.class, () -> gpu.download(cpuBuf));
            assertTrue(f.getMessage().contains("does not belong"), f.getMessage());
            var g = assertThrows(IllegalArgumentException.class,
                    () -> gpu.layerNormForward(gpu.allocate(10), gpu.allocate(5), gpu.allocate(5), gpu.allocate(10),
                            gpu.allocate(2), gpu.allocate(2), 3, 5, 1e-5f));
            assertTrue(g.getMessage().contains("needs 15 elements"), g.getMessage());
        }
        var u = assertThrows(IllegalStateException.class, () -> gpu.download(escaped));
        assertTrue(u.getMessage().contains("after it was released"), u.getMessage());
    }

    @Test
    void nameAndStatus() {
        assertTrue(gpu.name().startsWith("cuda:0 ("), gpu.name());
        assertTrue(gpu.status().available());
        gpu.synchronize();
    }
}
