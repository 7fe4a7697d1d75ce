package dev.tessera.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.MemoryStats;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.tensor.internal.TensorInternals;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Memory stays flat over a thousand training steps (every buffer has one owner: its step scope or the persistent parameter store): parameters, their gradients
 * and optimizer moments are allocated once, outside any scope; everything a step allocates (inputs,
 * activations, the tape's gradients) belongs to the step's scope and goes back to the pool when it closes.
 * After the first step every allocation is a pool hit, so neither the system allocation count nor the
 * number of live buffers may move between step 3 and step 1,000.
 */
class StepMemoryTest {
    static final int N = 2, L = 4, D = 8, H = 2, DH = D / H, STEPS = 1000;

    @Test
    void memoryIsFlatOverAThousandSteps() {
        try (CpuBackend be = new CpuBackend(2)) {
            Random rnd = new Random(3);
            List<Tensor> params = new ArrayList<>(), grads = new ArrayList<>(), m = new ArrayList<>(), v = new ArrayList<>();
            Tensor w1 = param(be, rnd, params, D, D), b1 = param(be, rnd, params, D);
            Tensor lnW = param(be, rnd, params, D), lnB = param(be, rnd, params, D);
            Tensor wqkv = param(be, rnd, params, 3 * D, D), bqkv = param(be, rnd, params, 3 * D);
            for (Tensor p : params) {
                Tensor g = Tensor.zeros(be, p.shape());
                TensorInternals.setGrad(p, g);
                grads.add(g);
                m.add(Tensor.zeros(be, p.shape()));
                v.add(Tensor.zeros(be, p.shape()));
            }
            MemoryStats atStep3 = null;
            float first = Float.NaN, last = Float.NaN;
            for (int step = 1; step <= STEPS; step++) {
                try (StepScope s = be.openScope()) {
                    for (Tensor g : grads) be.fill(g.buffer(), 0f);
                    Tensor x = Tensor.of(be, data(step, N * L * D), N, L, D);
                    Tensor target = Tensor.of(be, data(step + 7, N * L * D), N, L, D);
                    Tensor mask = Tensor.of(be, new float[] {1, 0, 1, 1, 0, 1, 0, 1}, N, L);
                    Tensor h = x.linear(w1, b1).gelu().layerNorm(lnW, lnB, 1e-6f);
                    Tensor[] qkv = h.linear(wqkv, bqkv).reshape(N, L, 3, H, DH).permute(2, 0, 3, 1, 4).split(0, 1, 1, 1);
                    Tensor q = qkv[0].reshape(N, H, L, DH), k = qkv[1].reshape(N, H, L, DH), vv = qkv[2].reshape(N, H, L, DH);
                    Tensor out = Tensor.attention(q, k, vv, (float) (1 / Math.sqrt(DH))).permute(0, 2, 1, 3).reshape(N, L, D);
                    Tensor loss = out.sub(target).square().mean(-1, false).mul(mask).sum().div(mask.sum());
                    loss.backward();
                    for (int i = 0; i < params.size(); i++) {
                        be.adamW(params.get(i).buffer(), grads.get(i).buffer(), m.get(i).buffer(), v.get(i).buffer(),
                                new AdamWStep(1e-3f, 0.9f, 0.95f, 1e-8f, 0.05f, step));
                    }
                    float l = loss.item();
                    if (step == 1) first = l;
                    last = l;
                }
                if (step == 3) atStep3 = be.memoryStats();
            }
            MemoryStats atEnd = be.memoryStats();
            assertEquals(atStep3.systemAllocations(), atEnd.systemAllocations(), "system allocations grew: " + atStep3 + " -> " + atEnd);
            assertEquals(atStep3.liveBuffers(), atEnd.liveBuffers(), "live buffers grew: " + atStep3 + " -> " + atEnd);
            // Only the persistent tensors are live between steps: 6 parameters × (value, grad, m, v).
            assertEquals(24, atEnd.liveBuffers());
            assertTrue(Float.isFinite(first) && Float.isFinite(last), "loss " + first + " -> " + last);
        }
    }

    private static Tensor param(CpuBackend be, Random rnd, List<Tensor> params, int... shape) {
        float[] v = new float[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.3);
        Tensor p = Tensor.of(be, v, shape).requiresGrad(true);
        params.add(p);
        return p;
    }

    /** A deterministic batch that changes every step (a stand-in for the data loader). */
    private static float[] data(int step, int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) Math.sin(0.37 * i + 0.11 * step);
        return d;
    }
}
