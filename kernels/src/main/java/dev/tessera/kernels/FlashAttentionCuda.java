package dev.tessera.kernels;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;

/**
 * Launcher for attention_flash.cu: FlashAttention-2 forward and backward on the tensor cores (q, k, v, dout,
 * P and dS rounded to bf16 for the products; fp32 accumulation, softmax statistics, out, lse and gradients).
 * Same contract as {@link AttentionCuda} and {@code Backend.attentionForward/attentionBackward}: q, k, v, out (and
 * dout, dq, dk, dv) wherever their {@link AttentionLayout} puts them, lse [bh, lq] contiguous, fp32; lq ≠ lk
 * allowed; the backward adds into dq, dk, dv or overwrites them ({@link GradMode}) and skips a null one. Tiles
 * are copied with cp.async when every base and token stride keeps 16-byte chunks aligned, element by element
 * otherwise. CPU reference: {@code AttentionCpu} on bf16-rounded inputs.
 * <pre>
 *   forward:  block = 64 query rows (4 warps × 16); per 64-key tile (32 at d = 128):
 *             S = bf16(q)·bf16(k)ᵀ·scale, online softmax in registers, out += bf16(P)·bf16(v); lse = m + log l
 *   backward: D_i = dout_i·out_i (attention_backward_dot);
 *             dk/dv kernel: block = 64 keys, streams q/dout tiles: P = exp(S − lse), dS = P∘(dout·vᵀ − D),
 *                           dv += Pᵀ·dout, dk += scale·dSᵀ·q
 *             dq kernel:    block = 64 query rows, streams k/v tiles: dq += scale·dS·k   (no atomics)
 * </pre>
 * Head dims 32, 64 and 128 only ({@link #supports}); others keep {@link AttentionCuda}. Grids are 1-D, so
 * batch × heads may exceed 65535 (up to 2³¹−1 blocks). Needs sm_80+ and up to 96 KiB of shared memory.
 */
public final class FlashAttentionCuda {
    static final int THREADS = 128, ROWS = 64;

    private final LaunchContext lc;

    FlashAttentionCuda(LaunchContext lc) {
        this.lc = lc;
    }

    public static boolean supports(int headDim) {
        return headDim == 32 || headDim == 64 || headDim == 128;
    }

    public void forward(AttentionLayout lay, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, float scale) {
        int bh = lay.batchHeads(), lq = lay.lq(), lk = lay.lk(), d = lay.headDim();
        checkDims(bh, lq, lk, d);
        CudaBuffer qs = lc.required(q, lay.extent(lay.q(), lq), "attention q");
        CudaBuffer ks = lc.required(k, lay.extent(lay.k(), lk), "attention k");
        CudaBuffer vs = lc.required(v, lay.extent(lay.v(), lk), "attention v");
        CudaBuffer os = lc.required(out, lay.extent(lay.out(), lq), "attention out");
        CudaBuffer ls = lc.required(lse, (long) bh * lq, "attention lse");
        if (bh == 0 || lq == 0) return;
        lc.module.launch("attention_flash_forward_d" + d, forwardGeometry(bh, lq, d),
                new KernelArgs().ptr(qs).ptr(ks).ptr(vs).ptr(os).ptr(ls).attnLayout(lay).i(bh).i(lq).i(lk).f(scale));
    }

    public void backward(AttentionLayout lay, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout, Buffer dq,
                         Buffer dk, Buffer dv, float scale, GradMode mode) {
        int bh = lay.batchHeads(), lq = lay.lq(), lk = lay.lk(), d = lay.headDim();
        checkDims(bh, lq, lk, d);
        AttentionCuda.Operands o = AttentionCuda.Operands.of(lc, lay, q, k, v, out, lse, dout, dq, dk, dv);
        if (!o.launches(lay, mode)) return;
        int overwrite = mode == GradMode.OVERWRITE ? 1 : 0;
        CudaBuffer dRow = o.dot(lc, lay);
        if (o.dq() != null && lq > 0) {
            lc.module.launch("attention_flash_backward_dq_d" + d, dqGeometry(bh, lq, d), new KernelArgs().ptr(o.q()).ptr(o.k())
                    .ptr(o.v()).ptr(o.lse()).ptr(dRow).ptr(o.dout()).ptr(o.dq()).attnLayout(lay).i(bh).i(lq).i(lk).f(scale)
                    .i(overwrite));
        }
        if ((o.dk() != null || o.dv() != null) && lk > 0) {
            lc.module.launch("attention_flash_backward_dkdv_d" + d, dkdvGeometry(bh, lk, d), new KernelArgs().ptr(o.q())
                    .ptr(o.k()).ptr(o.v()).ptr(o.lse()).ptr(dRow).ptr(o.dout()).ptr(o.dk()).ptr(o.dv()).attnLayout(lay).i(bh)
                    .i(lq).i(lk).f(scale).i(overwrite));
        }
        if (dRow != null) lc.release(dRow);
    }

    private static void checkDims(int bh, int lq, int lk, int d) {
        if (bh < 0 || lq < 0 || lk < 0) throw new IllegalArgumentException("attention: bh=" + bh + " lq=" + lq + " lk=" + lk);
        if (!supports(d)) {
            throw new IllegalArgumentException("flash attention supports head dims 32, 64 and 128, got " + d
                    + "; use AttentionCuda");
        }
    }

    /** Keys per forward tile: 64, 32 at d = 128 (register budget, see attention_flash.cu FlashTiles). */
    static int forwardKeys(int d) {
        return d == 128 ? 32 : 64;
    }

    /** Keys (dq) or queries (dk/dv) per backward tile: 64, 16 at d = 128. */
    static int backwardTile(int d) {
        return d == 128 ? 16 : 64;
    }

    /** fp32 staging + bf16 tile of K and V. */
    static int forwardSharedBytes(int d) {
        return 2 * forwardKeys(d) * d * (4 + 2);
    }

    static int dqSharedBytes(int d) {
        return 2 * backwardTile(d) * d * (4 + 2);
    }

    /** Staged Q and dout tiles, the block's 64 keys of K and V in bf16, lse and D of the query tile. */
    static int dkdvSharedBytes(int d) {
        return 2 * backwardTile(d) * d * (4 + 2) + 2 * ROWS * d * 2 + 2 * backwardTile(d) * 4;
    }

    static LaunchConfig forwardGeometry(int bh, int lq, int d) {
        return new LaunchConfig(AttentionCuda.blocks(bh, lq, ROWS), 1, 1, THREADS, 1, 1, forwardSharedBytes(d));
    }

    static LaunchConfig dqGeometry(int bh, int lq, int d) {
        return new LaunchConfig(AttentionCuda.blocks(bh, lq, ROWS), 1, 1, THREADS, 1, 1, dqSharedBytes(d));
    }

    static LaunchConfig dkdvGeometry(int bh, int lk, int d) {
        return new LaunchConfig(AttentionCuda.blocks(bh, lk, ROWS), 1, 1, THREADS, 1, 1, dkdvSharedBytes(d));
    }
}
