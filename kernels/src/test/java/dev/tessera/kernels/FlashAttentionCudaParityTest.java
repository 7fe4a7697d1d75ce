package dev.tessera.kernels;

import static dev.tessera.engine.testing.Close.assertClose;
import static dev.tessera.kernels.GpuTestSupport.CPU;
import static dev.tessera.kernels.GpuTestSupport.uniform;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.StepScope;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * attention_flash.cu vs AttentionCpu on bf16-ROUNDED q, k, v and dout: head dims 32 (MAE-B decoder), 64, 128,
 * L = 50 (MAE-B encoder: 49 visible patches + cls) and 197 (ViT-B/16), CAE's cross-attention (98 queries over
 * 196 keys), tails of every tile, one query and one key; the backward accumulates into non-zero gradients and
 * skips absent ones (dv alone, dq alone).
 *
 * <p>Tolerance: with rounded inputs the kernels still round P (forward, dV) and dS (dq, dk) to bf16 before
 * the second product, a relative error ≤ 2⁻⁸ per term; random inputs in ±1.5 give sums whose error stays
 * below ~2⁻⁸ of the largest term magnitudes, hence out atol 4e-3 / rtol 1e-2, lse (fp32 scores, no P
 * rounding) atol 2e-5 / rtol 1e-5, gradients atol 4e-3 / rtol 2e-2. The emulator checks the same kernels
 * with per-element error bounds (src/test/emu/emu_flash_checks.h).
 */
class FlashAttentionCudaParityTest extends GpuTest {
    static Stream<Arguments> shapes() {
        return Stream.of(Arguments.of(1, 1, 1, 32), Arguments.of(2, 50, 50, 64), Arguments.of(16, 197, 197, 32),
                Arguments.of(2, 98, 196, 64), Arguments.of(12, 197, 197, 64), Arguments.of(3, 37, 70, 128),
                Arguments.of(2, 50, 50, 128));
    }

    @ParameterizedTest(name = "bh={0} lq={1} lk={2} d={3}")
    @MethodSource("shapes")
    void matchesCpuOnRoundedInputs(int bh, int lq, int lk, int d) {
        FlashAttentionCuda fa = new FlashAttentionCuda(gpu.launchContext());
        float scale = (float) (1 / Math.sqrt(d));
        int nq = bh * lq * d, nk = bh * lk * d;
        float[] q = uniform(21, nq, -1.5f, 1.5f), k = uniform(22, nk, -1.5f, 1.5f), v = uniform(23, nk, -1f, 1f);
        float[] dout = uniform(24, nq, -1f, 1f);
        float[] dq0 = uniform(25, nq, -1f, 1f), dk0 = uniform(26, nk, -1f, 1f), dv0 = uniform(27, nk, -1f, 1f);
        int[] qShape = {bh, lq, d}, kShape = {bh, lk, d};
        String tag = "[bh " + bh + ", lq " + lq + ", lk " + lk + ", d " + d + "] ";
        AttentionLayout lay = AttentionLayout.contiguous(bh, lq, lk, d);
        try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
            Buffer rq = GpuTestSupport.put(CPU, Bf16.round(q)), rk = GpuTestSupport.put(CPU, Bf16.round(k));
            Buffer rv = GpuTestSupport.put(CPU, Bf16.round(v)), rg = GpuTestSupport.put(CPU, Bf16.round(dout));
            var out = CPU.allocate(nq);
            var lse = CPU.allocate(bh * lq);
            CPU.attentionForward(AttentionLayout.contiguous(bh, lq, lk, d), rq, rk, rv, out, lse, scale);
            float[] eOut = CPU.download(out), eLse = CPU.download(lse);

            var gq = GpuTestSupport.put(gpu, q);
            var gk = GpuTestSupport.put(gpu, k);
            var gv = GpuTestSupport.put(gpu, v);
            var gg = GpuTestSupport.put(gpu, dout);
            var gOut = gpu.allocate(nq);
            var gLse = gpu.allocate(bh * lq);
            fa.forward(lay, gq, gk, gv, gOut, gLse, scale);
            assertClose(tag + "out", eOut, gpu.download(gOut), qShape, 4e-3, 1e-2);
            assertClose(tag + "lse", eLse, gpu.download(gLse), 2e-5, 1e-5);

            // backward from the CPU's out/lse so only the backward kernels are compared
            var dq = GpuTestSupport.put(CPU, dq0);
            var dk = GpuTestSupport.put(CPU, dk0);
            var dv = GpuTestSupport.put(CPU, dv0);
            CPU.attentionBackward(AttentionLayout.contiguous(bh, lq, lk, d), rq, rk, rv, out, lse, rg, dq, dk, dv, scale,
                GradMode.ACCUMULATE);
            float[] eDq = CPU.download(dq), eDk = CPU.download(dk), eDv = CPU.download(dv);
            var rOut = GpuTestSupport.put(gpu, eOut);
            var rLse = GpuTestSupport.put(gpu, eLse);
            var gDq = GpuTestSupport.put(gpu, dq0);
            var gDk = GpuTestSupport.put(gpu, dk0);
            var gDv = GpuTestSupport.put(gpu, dv0);
            fa.backward(lay, gq, gk, gv, rOut, rLse, gg, gDq, gDk, gDv, scale, GradMode.ACCUMULATE);
            assertClose(tag + "dq", eDq, gpu.download(gDq), qShape, 4e-3, 2e-2);
            assertClose(tag + "dk", eDk, gpu.download(gDk), kShape, 4e-3, 2e-2);
            assertClose(tag + "dv", eDv, gpu.download(gDv), kShape, 4e-3, 2e-2);

            var gDvOnly = GpuTestSupport.put(gpu, dv0);
            fa.backward(lay, gq, gk, gv, rOut, rLse, gg, null, null, gDvOnly, scale, GradMode.ACCUMULATE);
            assertClose(tag + "dv alone", eDv, gpu.download(gDvOnly), kShape, 4e-3, 2e-2);
            var gDqOnly = GpuTestSupport.put(gpu, dq0);
            fa.backward(lay, gq, gk, gv, rOut, rLse, gg, gDqOnly, null, null, scale, GradMode.ACCUMULATE);
            assertClose(tag + "dq alone", eDq, gpu.download(gDqOnly), qShape, 4e-3, 2e-2);
        }
    }

    /**
     * The flash kernels over a packed qkv [N, T, 3D] (MAE-B encoder: T = 50, d = 64) and token-major cross-attention
     * (CAE: 98 queries over 196 keys, d = 32), gradients overwritten into NaN-filled buffers, against the CPU
     * backend on the same layout and bf16-rounded inputs. The packed token stride 3D keeps cp.async aligned; the
     * cross case at d = 32 too — both take the vector path the model steps take.
     */
    @Test
    void stridedLayoutsOverwriteMatchCpu() {
        FlashAttentionCuda fa = new FlashAttentionCuda(gpu.launchContext());
        AttentionLayout packed = AttentionLayout.packedQkv(2, 50, 4, 64), cross = AttentionLayout.tokenMajor(2, 3, 98, 196, 32);
        for (AttentionLayout lay : new AttentionLayout[] {packed, cross}) {
            boolean isPacked = lay == packed;
            int dim = lay.heads() * lay.headDim(), n = lay.batch();
            int nq = n * lay.lq() * (isPacked ? 3 * dim : dim), nk = n * lay.lk() * dim, no = n * lay.lq() * dim;
            float scale = (float) (1 / Math.sqrt(lay.headDim()));
            float[] q = uniform(61, nq, -1.5f, 1.5f), k = uniform(62, nk, -1.5f, 1.5f), v = uniform(63, nk, -1f, 1f);
            float[] dout = uniform(64, no, -1f, 1f);
            String tag = isPacked ? "packed qkv " : "token-major cross ";
            try (StepScope _ = CPU.openScope(); StepScope _ = gpu.openScope()) {
                Buffer rq = GpuTestSupport.put(CPU, Bf16.round(q)), rg = GpuTestSupport.put(CPU, Bf16.round(dout));
                Buffer rk = isPacked ? rq : GpuTestSupport.put(CPU, Bf16.round(k));
                Buffer rv = isPacked ? rq : GpuTestSupport.put(CPU, Bf16.round(v));
                var out = CPU.allocate(no);
                var lse = CPU.allocate(lay.batchHeads() * lay.lq());
                CPU.attentionForward(lay, rq, rk, rv, out, lse, scale);
                var dq = CPU.allocate(nq);
                var dk = isPacked ? dq : CPU.allocate(nk);
                var dv = isPacked ? dq : CPU.allocate(nk);
                CPU.attentionBackward(lay, rq, rk, rv, out, lse, rg, dq, dk, dv, scale, GradMode.OVERWRITE);
                float[] eOut = CPU.download(out), eLse = CPU.download(lse);

                var gq = GpuTestSupport.put(gpu, q);
                var gk = isPacked ? gq : GpuTestSupport.put(gpu, k);
                var gv = isPacked ? gq : GpuTestSupport.put(gpu, v);
                var gOut = GpuTestSupport.put(gpu, nan(no));
                var gLse = gpu.allocate(lay.batchHeads() * lay.lq());
                fa.forward(lay, gq, gk, gv, gOut, gLse, scale);
                assertClose(tag + "out", eOut, gpu.download(gOut), 4e-3, 1e-2);
                assertClose(tag + "lse", eLse, gpu.download(gLse), 2e-5, 1e-5);

                var rOut = GpuTestSupport.put(gpu, eOut);
                var rLse = GpuTestSupport.put(gpu, eLse);
                var gg = GpuTestSupport.put(gpu, dout);
                var gDq = GpuTestSupport.put(gpu, nan(nq));
                var gDk = isPacked ? gDq : GpuTestSupport.put(gpu, nan(nk));
                var gDv = isPacked ? gDq : GpuTestSupport.put(gpu, nan(nk));
                fa.backward(lay, gq, gk, gv, rOut, rLse, gg, gDq, gDk, gDv, scale, GradMode.OVERWRITE);
                assertClose(tag + "dq", CPU.download(dq), gpu.download(gDq), 4e-3, 2e-2);
                if (!isPacked) {
                    assertClose(tag + "dk", CPU.download(dk), gpu.download(gDk), 4e-3, 2e-2);
                    assertClose(tag + "dv", CPU.download(dv), gpu.download(gDv), 4e-3, 2e-2);
                }
            }
        }
    }

    private static float[] nan(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, Float.NaN);
        return a;
    }
}
