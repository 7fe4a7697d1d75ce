package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;

/**
 * Launcher for attention_flash.cu: FlashAttention-2 forward and backward on the tensor cores (q, k, v, dout,
 * P and dS rounded to bf16 for the products; fp32 accumulation, softmax statistics, out, lse and gradients).
 * Same contract as {@link AttentionCuda} and {@code Backend.attentionForward/attentionBackward}: q [bh, lq, d],
 * k and v [bh, lk, d], out [bh, lq, d], lse [bh, lq], fp32 and contiguous; lq ≠ lk allowed; the backward
 * ACCUMULATES into dq, dk, dv and skips a null one. CPU reference: {@code AttentionCpu} on bf16-rounded inputs.
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

    public void forward(Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, int bh, int lq, int lk, int d, float scale) {
        checkDims(bh, lq, lk, d);
        CudaBuffer qs = lc.required(q, (long) bh * lq * d, "attention q"), ks = lc.required(k, (long) bh * lk * d, "attention k");
        CudaBuffer vs = lc.required(v, (long) bh * lk * d, "attention v");
        CudaBuffer os = lc.required(out, (long) bh * lq * d, "attention out");
        CudaBuffer ls = lc.required(lse, (long) bh * lq, "attention lse");
        lc.module.launch("attention_flash_forward_d" + d, forwardGeometry(bh, lq, d),
                new KernelArgs().ptr(qs).ptr(ks).ptr(vs).ptr(os).ptr(ls).i(bh).i(lq).i(lk).f(scale));
    }

    public void backward(Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout, Buffer dq, Buffer dk,
                         Buffer dv, int bh, int lq, int lk, int d, float scale) {
        checkDims(bh, lq, lk, d);
        long nq = (long) bh * lq * d, nk = (long) bh * lk * d;
        CudaBuffer qs = lc.required(q, nq, "attention q"), ks = lc.required(k, nk, "attention k");
        CudaBuffer vs = lc.required(v, nk, "attention v"), os = lc.required(out, nq, "attention out");
        CudaBuffer ls = lc.required(lse, (long) bh * lq, "attention lse"), gs = lc.required(dout, nq, "attention dout");
        CudaBuffer dqs = lc.floats(dq, nq, "attention dq"), dks = lc.floats(dk, nk, "attention dk");
        CudaBuffer dvs = lc.floats(dv, nk, "attention dv");
        if ((dqs == null && dks == null && dvs == null) || bh == 0 || lq == 0 || lk == 0) return;

        CudaBuffer dRow = lc.scratch((long) bh * lq);
        lc.module.launch("attention_backward_dot", AttentionCuda.dotGeometry(bh, lq),
                new KernelArgs().ptr(gs).ptr(os).ptr(dRow).i(bh * lq).i(d));
        if (dqs != null) {
            lc.module.launch("attention_flash_backward_dq_d" + d, dqGeometry(bh, lq, d), new KernelArgs().ptr(qs).ptr(ks)
                    .ptr(vs).ptr(ls).ptr(dRow).ptr(gs).ptr(dqs).i(bh).i(lq).i(lk).f(scale));
        }
        if (dks != null || dvs != null) {
            lc.module.launch("attention_flash_backward_dkdv_d" + d, dkdvGeometry(bh, lk, d), new KernelArgs().ptr(qs)
                    .ptr(ks).ptr(vs).ptr(ls).ptr(dRow).ptr(gs).ptr(dks).ptr(dvs).i(bh).i(lq).i(lk).f(scale));
        }
        lc.release(dRow);
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
