package dev.tessera.kernels;

import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.AttentionLayout;
import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;

import dev.tessera.engine.backend.StepScope;
import dev.tessera.kernels.GpuTestSupport.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * attention.cu vs AttentionCpu, forward (out, lse) and backward (dq, dk, dv accumulated into non-zero
 * buffers, and with some gradients absent), every variant (V1 at several block sizes) × shapes: one query
 * and one key, odd sizes with lq ≠ lk, head dims not a multiple of 32 (3, 65), CAE's cross-attention
 * (98 queries over 196 keys, d 64), ViT-B heads (12 × 197 × 64), d = 128 (v2's limit) and d = 130 (V1 only),
 * and a key count that is not a multiple of the 32-key tile.
 *
 * <p>Tolerances: the CPU computes scores and P·v in double, the GPU in float with an online-softmax rescale
 * → out atol 2e-5 / rtol 1e-4, lse atol 2e-5 / rtol 1e-5. Gradients sum lk (dq) or lq (dk, dv) float terms on
 * both sides (the CPU accumulates dk/dv in float, row by row) → atol 5e-5, rtol 5e-4.
 */
class AttentionCudaParityTest extends GpuTest {
    static Stream<Arguments> shapes() {
        return Stream.of(Arguments.of(1, 1, 1, 1), Arguments.of(2, 5, 7, 3), Arguments.of(3, 33, 47, 65),
                Arguments.of(2, 98, 196, 64), Arguments.of(12, 197, 197, 64), Arguments.of(2, 50, 70, 128),
                Arguments.of(1, 40, 31, 130));
    }

    /** (variant, block) pairs to run: V1 at several block sizes; V2 has a fixed 128-thread block. */
    static List<Object[]> configs(int d) {
        List<Object[]> c = new ArrayList<>();
        for (int b : new int[] {32, 128, 512}) c.add(new Object[] {AttentionCuda.Variant.V1, b});
        if (d <= AttentionCuda.V2_MAX_HEAD_DIM) c.add(new Object[] {AttentionCuda.Variant.V2, 128});
        return c;
    }

    @ParameterizedTest(name = "bh={0} lq={1} lk={2} d={3}")
    @MethodSource("shapes")
    void matchesCpuReference(int bh, int lq, int lk, int d) {
        float scale = (float) (1 / Math.sqrt(d));
        int nq = bh * lq * d, nk = bh * lk * d;
        float[] q = uniform(21, nq, -1.5f, 1.5f), k = uniform(22, nk, -1.5f, 1.5f), v = uniform(23, nk, -1f, 1f);
        float[] dout = uniform(24, nq, -1f, 1f);
        float[] dq0 = uniform(25, nq, -1f, 1f), dk0 = uniform(26, nk, -1f, 1f), dv0 = uniform(27, nk, -1f, 1f);
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Pair pq = Pair.of(gpu, q), pk = Pair.of(gpu, k), pv = Pair.of(gpu, v), pg = Pair.of(gpu, dout);
            var out = CPU.allocate(nq);
            var lse = CPU.allocate(bh * lq);
            CPU.attentionForward(AttentionLayout.contiguous(bh, lq, lk, d), pq.cpu(), pk.cpu(), pv.cpu(), out, lse, scale);
            var dq = GpuTestSupport.put(CPU, dq0);
            var dk = GpuTestSupport.put(CPU, dk0);
            var dv = GpuTestSupport.put(CPU, dv0);
            CPU.attentionBackward(AttentionLayout.contiguous(bh, lq, lk, d), pq.cpu(), pk.cpu(), pv.cpu(), out, lse, pg.cpu(), dq, dk, dv, scale,
                GradMode.ACCUMULATE);
            float[] eOut = CPU.download(out), eLse = CPU.download(lse);
            float[] eDq = CPU.download(dq), eDk = CPU.download(dk), eDv = CPU.download(dv);
            int[] qShape = {bh, lq, d}, kShape = {bh, lk, d};

            for (Object[] c : configs(d)) {
                var variant = (AttentionCuda.Variant) c[0];
                int block = (Integer) c[1];
                String tag = variant + " block " + block + " [bh " + bh + ", lq " + lq + ", lk " + lk + ", d " + d + "] ";
                try (StepScope _ = gpu.openScope()) {
                    var gOut = gpu.allocate(nq);
                    var gLse = gpu.allocate(bh * lq);
                    gpu.attention().forward(variant, block, pq.gpu(), pk.gpu(), pv.gpu(), gOut, gLse, bh, lq, lk, d, scale);
                    assertClose(tag + "out", eOut, gpu.download(gOut), qShape, 2e-5, 1e-4);
                    assertClose(tag + "lse", eLse, gpu.download(gLse), 2e-5, 1e-5);

                    // backward from the CPU's out/lse so only the backward kernels are compared
                    var rOut = GpuTestSupport.put(gpu, eOut);
                    var rLse = GpuTestSupport.put(gpu, eLse);
                    var gDq = GpuTestSupport.put(gpu, dq0);
                    var gDk = GpuTestSupport.put(gpu, dk0);
                    var gDv = GpuTestSupport.put(gpu, dv0);
                    gpu.attention().backward(variant, block, pq.gpu(), pk.gpu(), pv.gpu(), rOut, rLse, pg.gpu(), gDq, gDk,
                            gDv, bh, lq, lk, d, scale);
                    assertClose(tag + "dq", eDq, gpu.download(gDq), qShape, 5e-5, 5e-4);
                    assertClose(tag + "dk", eDk, gpu.download(gDk), kShape, 5e-5, 5e-4);
                    assertClose(tag + "dv", eDv, gpu.download(gDv), kShape, 5e-5, 5e-4);

                    // dv alone, then dq alone: absent gradients are skipped, present ones unchanged
                    var gDvOnly = GpuTestSupport.put(gpu, dv0);
                    gpu.attention().backward(variant, block, pq.gpu(), pk.gpu(), pv.gpu(), rOut, rLse, pg.gpu(), null, null,
                            gDvOnly, bh, lq, lk, d, scale);
                    assertClose(tag + "dv alone", eDv, gpu.download(gDvOnly), kShape, 5e-5, 5e-4);
                    var gDqOnly = GpuTestSupport.put(gpu, dq0);
                    gpu.attention().backward(variant, block, pq.gpu(), pk.gpu(), pv.gpu(), rOut, rLse, pg.gpu(), gDqOnly,
                            null, null, bh, lq, lk, d, scale);
                    assertClose(tag + "dq alone", eDq, gpu.download(gDqOnly), qShape, 5e-5, 5e-4);
                }
            }
        }
    }
}
