package dev.tessera.kernels;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;

/**
 * Launcher for attention.cu, fused scaled dot-product attention. CPU reference: {@code AttentionCpu}.
 * The loops the kernels parallelise, per head h:
 * <pre>
 *   forward:  for i &lt; lq:  s_j = scale·q_i·k_j;  m, l = max, Σ exp(s − m);  out_i = Σ_j exp(s_j − m)/l · v_j
 *             v1: one block per (h, i); v2: one warp per 4 rows of i, k/v streamed in 32-key tiles with
 *             the online-softmax rescale (FlashAttention), 16 rows per block
 *   backward: D_i = dout_i·out_i;  P_ij = exp(s_ij − lse_i);  dS_ij = P_ij·(dout_i·v_j − D_i)
 *             dq_i += scale·Σ_j dS_ij·k_j      (v1: block per (h, i);  v2: warps own query rows)
 *             dk_j += scale·Σ_i dS_ij·q_i,  dv_j += Σ_i P_ij·dout_i   (v1: block per (h, j); v2: warps own key rows)
 * </pre>
 * Every operand is found through an {@link AttentionLayout} that the kernels take as an {@code AttnLayout} struct
 * (attention_layout.cuh): q, k, v straight from a packed qkv [N, T, 3D] or token-major [N, L, D] tensor, out
 * written as [N, T, D], with no staging copy. The backward adds into dq, dk, dv ({@link GradMode#ACCUMULATE}) or
 * writes them ({@link GradMode#OVERWRITE}: every kernel has one writer per gradient element, so no memset).
 * V2 needs headDim ≤ 128 (four columns per lane); {@link #choose} falls back to V1 above that. V1 keeps one
 * score row (lk floats; 2·lq for dk/dv) in shared memory beside the forward kernel's 128 bytes of static
 * reduction scratch, so it needs lk ≤ 12256 (forward) and lq ≤ 6144 (dk/dv).
 */
public final class AttentionCuda {

    public enum Variant {
        /** Block per query row (forward, dq) or key row (dk/dv): the CPU loops. */
        V1,
        /** Tiled, online softmax, warp-owned rows; deterministic two-kernel backward. */
        V2
    }

    public static final Variant DEFAULT = Variant.V2;
    public static final int V1_DEFAULT_BLOCK = 128;
    /** attention_forward_v1's {@code __shared__ float scratch[32]}: static shared memory beside the dynamic row. */
    static final int V1_FORWARD_STATIC_SHARED = 32 * 4;
    /** The v2 kernels are written for 4 warps. */
    static final int V2_THREADS = 128;
    static final int V2_MAX_HEAD_DIM = 128;
    static final int TILE = 32, FWD_ROWS_PER_BLOCK = 16, BWD_ROWS_PER_BLOCK = 8;

    private final LaunchContext lc;

    AttentionCuda(LaunchContext lc) {
        this.lc = lc;
    }

    public static Variant choose(int headDim) {
        return headDim <= V2_MAX_HEAD_DIM ? Variant.V2 : Variant.V1;
    }

    public void forward(Variant v, int block, AttentionLayout lay, Buffer q, Buffer k, Buffer vv, Buffer out, Buffer lse,
                        float scale) {
        int bh = lay.batchHeads(), lq = lay.lq(), lk = lay.lk(), d = lay.headDim();
        checkDims(v, lq, lk, d);
        CudaBuffer qs = lc.required(q, lay.extent(lay.q(), lq), "attention q");
        CudaBuffer ks = lc.required(k, lay.extent(lay.k(), lk), "attention k");
        CudaBuffer vs = lc.required(vv, lay.extent(lay.v(), lk), "attention v");
        CudaBuffer os = lc.required(out, lay.extent(lay.out(), lq), "attention out");
        CudaBuffer ls = lc.required(lse, (long) bh * lq, "attention lse");
        if (bh == 0 || lq == 0) return;
        KernelArgs args = new KernelArgs().ptr(qs).ptr(ks).ptr(vs).ptr(os).ptr(ls).attnLayout(lay).i(bh).i(lq).i(lk).i(d)
                .f(scale);
        if (v == Variant.V1) {
            lc.module.launch("attention_forward_v1", v1Geometry(bh, lq, block, 4L * lk, V1_FORWARD_STATIC_SHARED), args);
        }
        else lc.module.launch("attention_forward_v2", forwardGeometry(bh, lq, d), args);
    }

    public void backward(Variant v, int block, AttentionLayout lay, Buffer q, Buffer k, Buffer vv, Buffer out, Buffer lse,
                         Buffer dout, Buffer dq, Buffer dk, Buffer dv, float scale, GradMode mode) {
        int bh = lay.batchHeads(), lq = lay.lq(), lk = lay.lk(), d = lay.headDim();
        checkDims(v, lq, lk, d);
        Operands o = Operands.of(lc, lay, q, k, vv, out, lse, dout, dq, dk, dv);
        if (!o.launches(lay, mode)) return;
        int overwrite = mode == GradMode.OVERWRITE ? 1 : 0;
        CudaBuffer dRow = o.dot(lc, lay);
        if (o.dq() != null && lq > 0) {
            KernelArgs a = new KernelArgs().ptr(o.q()).ptr(o.k()).ptr(o.v()).ptr(o.lse()).ptr(dRow).ptr(o.dout()).ptr(o.dq())
                    .attnLayout(lay).i(bh).i(lq).i(lk).i(d).f(scale).i(overwrite);
            if (v == Variant.V1) lc.module.launch("attention_backward_dq_v1", v1Geometry(bh, lq, block, 4L * lk, 0), a);
            else lc.module.launch("attention_backward_dq_v2", dqGeometry(bh, lq, d), a);
        }
        if ((o.dk() != null || o.dv() != null) && lk > 0) {
            KernelArgs a = new KernelArgs().ptr(o.q()).ptr(o.k()).ptr(o.v()).ptr(o.lse()).ptr(dRow).ptr(o.dout()).ptr(o.dk())
                    .ptr(o.dv()).attnLayout(lay).i(bh).i(lq).i(lk).i(d).f(scale).i(overwrite);
            if (v == Variant.V1) lc.module.launch("attention_backward_dkdv_v1", v1Geometry(bh, lk, block, 8L * lq, 0), a);
            else lc.module.launch("attention_backward_dkdv_v2", dkdvGeometry(bh, lk, d), a);
        }
        if (dRow != null) lc.release(dRow);
    }

    /**
     * The device buffers of one backward call, each checked to hold its operand under the layout; shared by this
     * launcher and {@link FlashAttentionCuda}, whose backward has the same shape.
     */
    record Operands(CudaBuffer q, CudaBuffer k, CudaBuffer v, CudaBuffer out, CudaBuffer lse, CudaBuffer dout,
                    CudaBuffer dq, CudaBuffer dk, CudaBuffer dv) {

        static Operands of(LaunchContext lc, AttentionLayout lay, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse,
                           Buffer dout, Buffer dq, Buffer dk, Buffer dv) {
            int lq = lay.lq(), lk = lay.lk();
            long nq = lay.extent(lay.q(), lq), nk = lay.extent(lay.k(), lk), nv = lay.extent(lay.v(), lk);
            long no = lay.extent(lay.out(), lq);
            return new Operands(lc.required(q, nq, "attention q"), lc.required(k, nk, "attention k"),
                    lc.required(v, nv, "attention v"), lc.required(out, no, "attention out"),
                    lc.required(lse, (long) lay.batchHeads() * lq, "attention lse"),
                    lc.required(dout, no, "attention dout"), lc.floats(dq, nq, "attention dq"),
                    lc.floats(dk, nk, "attention dk"), lc.floats(dv, nv, "attention dv"));
        }

        /**
         * Whether any kernel must run. Accumulating a gradient over no queries or no keys adds nothing; overwriting
         * it must still write its zeros (dq when lk = 0, dk and dv when lq = 0), which the kernels do.
         */
        boolean launches(AttentionLayout lay, GradMode mode) {
            if (dq == null && dk == null && dv == null) return false;
            if (lay.batchHeads() == 0 || (lay.lq() == 0 && lay.lk() == 0)) return false;
            return mode == GradMode.OVERWRITE || (lay.lq() > 0 && lay.lk() > 0);
        }

        /** D_i = dout_i·out_i in scratch [bh, lq] (attention_backward_dot); null when lq = 0. Release after use. */
        CudaBuffer dot(LaunchContext lc, AttentionLayout lay) {
            int bh = lay.batchHeads(), lq = lay.lq();
            if (lq == 0) return null;
            CudaBuffer dRow = lc.scratch((long) bh * lq);
            lc.module.launch("attention_backward_dot", dotGeometry(bh, lq),
                    new KernelArgs().ptr(dout).ptr(out).ptr(dRow).attnLayout(lay).i(bh).i(lq).i(lay.headDim()));
            return dRow;
        }
    }

    private static void checkDims(Variant v, int lq, int lk, int d) {
        if (lq < 0 || lk < 0 || d < 1) throw new IllegalArgumentException("attention: lq=" + lq + " lk=" + lk + " headDim=" + d);
        if (v == Variant.V2 && d > V2_MAX_HEAD_DIM) {
            throw new IllegalArgumentException("attention V2 supports headDim <= " + V2_MAX_HEAD_DIM + ", got " + d + "; use V1");
        }
    }

    /**
     * V1: one block per row (grid-stride beyond 2³¹−1 rows); {@code sharedBytes} (dynamic) holds the score row(s).
     * The 48 KiB a block may use without opting in covers static and dynamic shared memory together, so the
     * kernel's {@code staticBytes} count against it too.
     */
    static LaunchConfig v1Geometry(int bh, int rowsPerHead, int block, long sharedBytes, int staticBytes) {
        LaunchConfig.checkWarpMultiple("attention_v1", block);
        if (sharedBytes + staticBytes > LaunchConfig.DEFAULT_SHARED_LIMIT) {
            throw new IllegalArgumentException("attention V1 keeps a score row in shared memory: " + sharedBytes
                    + " + " + staticBytes + " static bytes > " + LaunchConfig.DEFAULT_SHARED_LIMIT
                    + " (sequence too long); use V2");
        }
        long blocks = (long) bh * rowsPerHead;
        return new LaunchConfig((int) Math.min(blocks, Integer.MAX_VALUE), 1, 1, block, 1, 1, (int) sharedBytes);
    }

    /** Row stride of shared-memory tiles read one row per lane: odd, so the 32 lanes hit 32 banks. */
    static int oddStride(int d) {
        return d | 1;
    }

    /** Ks [32][d|1], Vs [32][d], Qs [16][d] floats (attention_forward_v2). */
    static int forwardSharedBytes(int d) {
        return 4 * (TILE * oddStride(d) + TILE * d + FWD_ROWS_PER_BLOCK * d);
    }

    /** Ks, Vs [32][d|1], Qs, dout rows [8][d] (attention_backward_dq_v2). */
    static int dqSharedBytes(int d) {
        return 4 * (2 * TILE * oddStride(d) + 2 * BWD_ROWS_PER_BLOCK * d);
    }

    /** Qs, dout tile [32][d|1], lse and D [32], k and v rows [8][d] (attention_backward_dkdv_v2). */
    static int dkdvSharedBytes(int d) {
        return 4 * (2 * TILE * oddStride(d) + 2 * TILE + 2 * BWD_ROWS_PER_BLOCK * d);
    }

    static LaunchConfig forwardGeometry(int bh, int lq, int d) {
        return new LaunchConfig(blocks(bh, lq, FWD_ROWS_PER_BLOCK), 1, 1, V2_THREADS, 1, 1, forwardSharedBytes(d));
    }

    static LaunchConfig dqGeometry(int bh, int lq, int d) {
        return new LaunchConfig(blocks(bh, lq, BWD_ROWS_PER_BLOCK), 1, 1, V2_THREADS, 1, 1, dqSharedBytes(d));
    }

    static LaunchConfig dkdvGeometry(int bh, int lk, int d) {
        return new LaunchConfig(blocks(bh, lk, BWD_ROWS_PER_BLOCK), 1, 1, V2_THREADS, 1, 1, dkdvSharedBytes(d));
    }

    /** attention_backward_dot: one warp per (head, query row), 8 per block. */
    static LaunchConfig dotGeometry(int bh, int lq) {
        return LaunchConfig.linear(32L * bh * lq, 256);
    }

    /** bh · ceil(rows / perBlock), which the v2 kernels decode as (head, row block). */
    static int blocks(int bh, int rows, int perBlock) {
        long b = (long) bh * ((rows + perBlock - 1) / perBlock);
        if (b > Integer.MAX_VALUE) throw new IllegalArgumentException("attention: " + b + " blocks > 2^31-1");
        return (int) b;
    }
}
