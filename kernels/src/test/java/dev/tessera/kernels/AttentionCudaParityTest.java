package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.kernels.GpuTestSupport.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
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

    /**
     * The backend over strided layouts (a packed qkv [N, T, 3D] and token-major cross-attention), overwrite and
     * accumulate, against the CPU backend on the same layout: the kernels read and write the strided operands
     * in place (V2 through the backend at d = 64; V1 through the launcher).
     */
    @Test
    void stridedLayoutsMatchCpu() {
        int n = 3, heads = 4, d = 64, dim = heads * d;
        AttentionLayout packed = AttentionLayout.packedQkv(n, 37, heads, d), cross = AttentionLayout.tokenMajor(n, heads, 19, 41, d);
        for (AttentionLayout lay : new AttentionLayout[] {packed, cross}) {
            boolean isPacked = lay == packed;
            int nq = n * lay.lq() * (isPacked ? 3 * dim : dim), nk = n * lay.lk() * dim, no = n * lay.lq() * dim;
            float[] q = uniform(31, nq, -1.5f, 1.5f), k = uniform(32, nk, -1.5f, 1.5f), v = uniform(33, nk, -1f, 1f);
            float[] dout = uniform(34, no, -1f, 1f), g0 = uniform(35, nq, -1f, 1f);
            for (GradMode mode : GradMode.values()) {
                String tag = (isPacked ? "packed qkv " : "token-major cross ") + mode + " ";
                try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                    float[][] e = run(CPU, lay, isPacked, q, k, v, dout, g0, mode);
                    float[][] a = run(gpu, lay, isPacked, q, k, v, dout, g0, mode);
                    assertClose(tag + "out", e[0], a[0], 2e-5, 1e-4);
                    assertClose(tag + "lse", e[1], a[1], 2e-5, 1e-5);
                    for (int j = 2; j < e.length; j++) assertClose(tag + "gradient " + (j - 2), e[j], a[j], 5e-5, 5e-4);
                }
            }
        }
    }

    /** V1 (block per row) over the packed and token-major layouts, overwrite mode, against the CPU backend. */
    @Test
    void v1OnStridedLayoutsMatchesCpu() {
        int n = 2, heads = 3, d = 40, dim = heads * d;
        AttentionLayout packed = AttentionLayout.packedQkv(n, 21, heads, d), cross = AttentionLayout.tokenMajor(n, heads, 9, 23, d);
        for (AttentionLayout lay : new AttentionLayout[] {packed, cross}) {
            boolean isPacked = lay == packed;
            int nq = n * lay.lq() * (isPacked ? 3 * dim : dim), nk = n * lay.lk() * dim, no = n * lay.lq() * dim;
            float[] q = uniform(41, nq, -1.5f, 1.5f), k = uniform(42, nk, -1.5f, 1.5f), v = uniform(43, nk, -1f, 1f);
            float[] dout = uniform(44, no, -1f, 1f);
            try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                float[][] e = run(CPU, lay, isPacked, q, k, v, dout, null, GradMode.OVERWRITE);
                var qb = GpuTestSupport.put(gpu, q);
                var kb = isPacked ? qb : GpuTestSupport.put(gpu, k);
                var vb = isPacked ? qb : GpuTestSupport.put(gpu, v);
                var out = GpuTestSupport.put(gpu, nan(no));
                var lse = gpu.allocate(lay.batchHeads() * lay.lq());
                gpu.attention().forward(AttentionCuda.Variant.V1, 64, lay, qb, kb, vb, out, lse, 0.125f);
                var g = GpuTestSupport.put(gpu, dout);
                var dq = GpuTestSupport.put(gpu, nan(nq));
                var dk = isPacked ? dq : GpuTestSupport.put(gpu, nan(nk));
                var dv = isPacked ? dq : GpuTestSupport.put(gpu, nan(nk));
                gpu.attention().backward(AttentionCuda.Variant.V1, 64, lay, qb, kb, vb, out, lse, g, dq, dk, dv, 0.125f,
                        GradMode.OVERWRITE);
                String tag = "V1 " + (isPacked ? "packed qkv " : "token-major cross ");
                assertClose(tag + "out", e[0], gpu.download(out), 2e-5, 1e-4);
                assertClose(tag + "dq", e[2], gpu.download(dq), 5e-5, 5e-4);
                if (!isPacked) {
                    assertClose(tag + "dk", e[3], gpu.download(dk), 5e-5, 5e-4);
                    assertClose(tag + "dv", e[4], gpu.download(dv), 5e-5, 5e-4);
                }
            }
        }
    }

    /** Forward, then backward into gradients pre-filled with g0 (ACCUMULATE) or NaN (OVERWRITE: never read). */
    private static float[][] run(dev.tessera.engine.backend.Backend be, AttentionLayout lay, boolean packed, float[] q, float[] k,
                                 float[] v, float[] dout, float[] g0, GradMode mode) {
        int no = lay.batchHeads() * lay.lq() * lay.headDim();
        var qb = GpuTestSupport.put(be, q);
        var kb = packed ? qb : GpuTestSupport.put(be, k);
        var vb = packed ? qb : GpuTestSupport.put(be, v);
        var out = be.allocate(no);
        var lse = be.allocate(lay.batchHeads() * lay.lq());
        be.attentionForward(lay, qb, kb, vb, out, lse, 0.125f);
        var g = GpuTestSupport.put(be, dout);
        var dq = GpuTestSupport.put(be, mode == GradMode.ACCUMULATE ? g0 : nan(q.length));
        if (packed) {
            be.attentionBackward(lay, qb, qb, qb, out, lse, g, dq, dq, dq, 0.125f, mode);
            return new float[][] {be.download(out), be.download(lse), be.download(dq)};
        }
        float[] kFill = mode == GradMode.ACCUMULATE ? java.util.Arrays.copyOf(g0, k.length) : nan(k.length);
        var dk = GpuTestSupport.put(be, kFill);
        var dv = GpuTestSupport.put(be, kFill);
        be.attentionBackward(lay, qb, kb, vb, out, lse, g, dq, dk, dv, 0.125f, mode);
        return new float[][] {be.download(out), be.download(lse), be.download(dq), be.download(dk), be.download(dv)};
    }

    private static float[] nan(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, Float.NaN);
        return a;
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
            AttentionLayout lay = AttentionLayout.contiguous(bh, lq, lk, d);

            for (Object[] c : configs(d)) {
                var variant = (AttentionCuda.Variant) c[0];
                int block = (Integer) c[1];
                String tag = variant + " block " + block + " [bh " + bh + ", lq " + lq + ", lk " + lk + ", d " + d + "] ";
                try (StepScope _ = gpu.openScope()) {
                    var gOut = gpu.allocate(nq);
                    var gLse = gpu.allocate(bh * lq);
                    gpu.attention().forward(variant, block, lay, pq.gpu(), pk.gpu(), pv.gpu(), gOut, gLse, scale);
                    assertClose(tag + "out", eOut, gpu.download(gOut), qShape, 2e-5, 1e-4);
                    assertClose(tag + "lse", eLse, gpu.download(gLse), 2e-5, 1e-5);

                    // backward from the CPU's out/lse so only the backward kernels are compared
                    var rOut = GpuTestSupport.put(gpu, eOut);
                    var rLse = GpuTestSupport.put(gpu, eLse);
                    var gDq = GpuTestSupport.put(gpu, dq0);
                    var gDk = GpuTestSupport.put(gpu, dk0);
                    var gDv = GpuTestSupport.put(gpu, dv0);
                    gpu.attention().backward(variant, block, lay, pq.gpu(), pk.gpu(), pv.gpu(), rOut, rLse, pg.gpu(), gDq, gDk,
                            gDv, scale, GradMode.ACCUMULATE);
                    assertClose(tag + "dq", eDq, gpu.download(gDq), qShape, 5e-5, 5e-4);
                    assertClose(tag + "dk", eDk, gpu.download(gDk), kShape, 5e-5, 5e-4);
                    assertClose(tag + "dv", eDv, gpu.download(gDv), kShape, 5e-5, 5e-4);

                    // dv alone, then dq alone: absent gradients are skipped, present ones unchanged
                    var gDvOnly = GpuTestSupport.put(gpu, dv0);
                    gpu.attention().backward(variant, block, lay, pq.gpu(), pk.gpu(), pv.gpu(), rOut, rLse, pg.gpu(), null, null,
                            gDvOnly, scale, GradMode.ACCUMULATE);
                    assertClose(tag + "dv alone", eDv, gpu.download(gDvOnly), kShape, 5e-5, 5e-4);
                    var gDqOnly = GpuTestSupport.put(gpu, dq0);
                    gpu.attention().backward(variant, block, lay, pq.gpu(), pk.gpu(), pv.gpu(), rOut, rLse, pg.gpu(), gDqOnly,
                            null, null, scale, GradMode.ACCUMULATE);
                    assertClose(tag + "dq alone", eDq, gpu.download(gDqOnly), qShape, 5e-5, 5e-4);
                }
            }
        }
    }
}
