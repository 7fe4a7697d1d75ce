package dev.tessera.kernels;

import static dev.tessera.kernels.GpuTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.MemoryStats;
import dev.tessera.engine.backend.ReduceOp;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * 1,000 "training steps" of a small op chain that touches every kernel family — matmul, layer norm with its
 * scratch partials, attention with its D scratch, softmax, reductions (incl. the split version's partials),
 * gather/scatter, GELU, AdamW on persistent parameters — each inside a StepScope, with a downloaded scalar
 * per step as a trainer would log. After step 3 the caching allocator must never call cuMemAlloc again,
 * live memory must return to the persistent baseline at every scope exit, and the driver's free-memory
 * figure must not move.
 */
class CudaMemoryTest extends GpuTest {
    @Test
    void memoryIsFlatOverAThousandSteps() {
        int tokens = 2 * 50, dim = 96, heads = 6, hd = dim / heads, steps = 1000;
        Buffer w = GpuTestSupport.put(gpu, uniform(81, dim * dim, -0.1f, 0.1f));
        Buffer gw = gpu.allocate(dim * dim), m = gpu.allocate(dim * dim), v = gpu.allocate(dim * dim);
        Buffer lnW = GpuTestSupport.put(gpu, uniform(82, dim, 0.9f, 1.1f)), lnB = gpu.allocate(dim);
        float[] xHost = uniform(83, tokens * dim, -1f, 1f);
        int[] idx = new int[2 * 25];
        for (int i = 0; i < idx.length; i++) idx[i] = (i * 3) % 50;
        gpu.synchronize();
        MemoryStats base = gpu.memoryStats();
        long allocsAfterWarmup = -1, freeAfterWarmup = -1;

        for (int step = 1; step <= steps; step++) {
            try (StepScope _ = gpu.openScope()) {
                Buffer x = GpuTestSupport.put(gpu, xHost);
                Buffer h = gpu.allocate(tokens * dim);
                gpu.matmul(false, true, 1, tokens, dim, dim, 1f, x, 0, w, 0, 0f, h);
                Buffer y = gpu.allocate(tokens * dim), mean = gpu.allocate(tokens), rstd = gpu.allocate(tokens);
                gpu.layerNormForward(h, lnW, lnB, y, mean, rstd, tokens, dim, 1e-6f);
                Buffer o = gpu.allocate(tokens * dim), lse = gpu.allocate(2 * heads * 50);
                gpu.attentionForward(AttentionLayout.contiguous(2 * heads, 50, 50, hd), y, y, y, o, lse, 0.25f);
                Buffer g = gpu.allocate(tokens * dim);
                gpu.unary(UnaryOp.GELU, 0f, o, g);
                Buffer sm = gpu.allocate(tokens * dim);
                gpu.softmaxForward(g, sm, tokens, dim, true);
                Buffer kept = gpu.allocate(2 * 25 * dim), idxBuf = gpu.allocateInts(idx.length);
                gpu.uploadInts(idx, idxBuf);
                gpu.gather(sm, idxBuf, kept, 2, 50, 25, dim);
                Buffer dy = gpu.allocate(tokens * dim);
                gpu.scatterAdd(kept, idxBuf, dy, 2, 50, 25, dim);
                Buffer dq = gpu.allocate(tokens * dim), dk = gpu.allocate(tokens * dim), dvb = gpu.allocate(tokens * dim);
                gpu.attentionBackward(AttentionLayout.contiguous(2 * heads, 50, 50, hd), y, y, y, o, lse, dy, dq, dk, dvb, 0.25f,
                GradMode.ACCUMULATE);
                Buffer dx = gpu.allocate(tokens * dim), dlnW = gpu.allocate(dim), dlnB = gpu.allocate(dim);
                gpu.layerNormBackward(dq, h, lnW, mean, rstd, dx, dlnW, dlnB, tokens, dim);
                gpu.matmul(true, false, 1, dim, dim, tokens, 1f, dx, 0, x, 0, 1f, gw);
                Buffer colSum = gpu.allocate(dim);
                gpu.reduce(ReduceOp.SUM, dx, 1, tokens, dim, colSum);
                Buffer big = gpu.allocate(70_000), bigSum = gpu.allocate(1);
                gpu.fill(big, 1e-3f);
                gpu.reduce(ReduceOp.SUM, big, 1, 70_000, 1, bigSum);      // the split version: scratch partials
                gpu.binary(BinaryOp.ADD, lnB, new int[] {1}, colSum, new int[] {1}, lnB, new int[] {dim});
                gpu.fill(gw, 0.01f);
                gpu.adamW(w, gw, m, v, new AdamWStep(1e-4f, 0.9f, 0.999f, 1e-8f, 0.05f, step));
                Buffer loss = gpu.allocate(1);
                gpu.reduce(ReduceOp.SUM, dlnB, 1, dim, 1, loss);
                float l = gpu.download(loss)[0];
                assertTrue(Float.isFinite(l), "step " + step + " loss " + l);
            }
            MemoryStats now = gpu.memoryStats();
            assertEquals(base.liveBuffers(), now.liveBuffers(), "live buffers back to baseline after step " + step);
            assertEquals(base.liveBytes(), now.liveBytes(), "live bytes back to baseline after step " + step);
            if (step == 3) {
                allocsAfterWarmup = now.systemAllocations();
                freeAfterWarmup = gpu.deviceMemoryInfo()[0];
            } else if (step > 3) {
                assertEquals(allocsAfterWarmup, now.systemAllocations(), "cuMemAlloc called in step " + step);
            }
        }
        long freeAtEnd = gpu.deviceMemoryInfo()[0];
        System.out.printf("[gpu] memory: %d cuMemAlloc calls in total, %d after step 3; device free %d -> %d bytes%n",
                gpu.memoryStats().systemAllocations(), gpu.memoryStats().systemAllocations() - allocsAfterWarmup,
                freeAfterWarmup, freeAtEnd);
        // other processes may allocate on a shared GPU; ours must not have moved by more than 1 MiB
        assertTrue(Math.abs(freeAtEnd - freeAfterWarmup) <= (1 << 20), "device free memory moved: " + freeAfterWarmup
                + " -> " + freeAtEnd);
    }
}
