package dev.tessera.kernels;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.AttentionLayout.Operand;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.GradMode;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Backend.attentionForward/Backward} over any {@link AttentionLayout} on the CUDA kernels, which still
 * read dense heads ([bh, L, d] blocks, attention.cu and attention_flash.cu): an operand already laid out so is
 * passed as a view; a strided one (q, k, v inside a packed [N, T, 3D] qkv, token-major [N, L, D] tensors) is
 * staged through dense scratch with one strided copy in, and a strided result copied out. This keeps the CUDA
 * backend correct on the layouts the engine now passes, but it still pays the head split/merge copies that the
 * CPU backend no longer does (kernels/README.md: passing the strides to the kernels is the open step).
 *
 * <p>Gradients: the kernels add, so an {@link GradMode#OVERWRITE} destination (or its dense scratch) is zeroed
 * first; a staged gradient is then copied over its rows (OVERWRITE) or added to them (ACCUMULATE, which also
 * makes aliased dq, dk, dv — one tensor as q, k and v — each add its own part).
 */
final class AttentionStaging {
    private final CudaBackend be;
    private final LaunchContext lc;
    private final PrecisionKernels kernels;

    AttentionStaging(CudaBackend be, LaunchContext lc, PrecisionKernels kernels) {
        this.be = be;
        this.lc = lc;
        this.kernels = kernels;
    }

    void forward(AttentionLayout lay, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, float scale) {
        lay.checkForward(q, k, v, out, lse);
        List<CudaBuffer> scratch = new ArrayList<>();
        Buffer[] qkv = inputs(lay, q, k, v, scratch);
        Buffer qd = qkv[0], kd = qkv[1], vd = qkv[2];
        Buffer od = dense(lay, lay.out(), lay.lq()) ? view(lay, out, lay.out(), lay.lq()) : take(lay, lay.lq(), scratch);
        kernels.attentionForward(qd, kd, vd, od, lse, lay.batchHeads(), lay.lq(), lay.lk(), lay.headDim(), scale);
        if (!dense(lay, lay.out(), lay.lq())) copyOut(lay, od, out, lay.out(), lay.lq(), false);
        for (CudaBuffer s : scratch) lc.release(s);
    }

    void backward(AttentionLayout lay, Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout,
                  Buffer dq, Buffer dk, Buffer dv, float scale, GradMode mode) {
        lay.checkForward(q, k, v, out, lse);
        lay.check("dout", dout, lay.out(), lay.lq());
        lay.check("dq", dq, lay.q(), lay.lq());
        lay.check("dk", dk, lay.k(), lay.lk());
        lay.check("dv", dv, lay.v(), lay.lk());
        if (dq == null && dk == null && dv == null) return;
        List<CudaBuffer> scratch = new ArrayList<>();
        int lq = lay.lq(), lk = lay.lk();
        Buffer[] qkv = inputs(lay, q, k, v, scratch);
        Buffer od = in(lay, out, lay.out(), lq, scratch), gd = in(lay, dout, lay.out(), lq, scratch);
        boolean add = mode == GradMode.ACCUMULATE;
        if (packed(lay, dq, dk, dv) && !dense(lay, lay.q(), lq)) {
            // The gradient of a packed qkv: one zeroed scratch [3, B, H, L, d] and one copy back.
            CudaBuffer s = take3(lay, scratch);
            be.fill(s, 0f);
            int n = lay.batchHeads() * lq * lay.headDim();
            kernels.attentionBackward(qkv[0], qkv[1], qkv[2], od, lse, gd, s.slice(0, n), s.slice(n, n), s.slice(2 * n, n),
                    lay.batchHeads(), lq, lk, lay.headDim(), scale);
            be.copyStrided(s, denseStrides3(lay), window3(lay, dq), strides3(lay), shape3(lay), add);
            for (CudaBuffer b : scratch) lc.release(b);
            return;
        }
        Buffer dqd = grad(lay, dq, lay.q(), lq, mode, scratch), dkd = grad(lay, dk, lay.k(), lk, mode, scratch);
        Buffer dvd = grad(lay, dv, lay.v(), lk, mode, scratch);
        kernels.attentionBackward(qkv[0], qkv[1], qkv[2], od, lse, gd, dqd, dkd, dvd, lay.batchHeads(), lq, lk,
                lay.headDim(), scale);
        if (dq != null && !dense(lay, lay.q(), lq)) copyOut(lay, dqd, dq, lay.q(), lq, add);
        if (dk != null && !dense(lay, lay.k(), lk)) copyOut(lay, dkd, dk, lay.k(), lk, add);
        if (dv != null && !dense(lay, lay.v(), lk)) copyOut(lay, dvd, dv, lay.v(), lk, add);
        for (CudaBuffer s : scratch) lc.release(s);
    }

    /**
     * q, k, v as dense heads. When they are one strided buffer at evenly spaced offsets with the same strides (the
     * packed qkv [N, T, 3D]), one 5-D copy stages all three, as timm's {@code permute(2, 0, 3, 1, 4)} would.
     */
    private Buffer[] inputs(AttentionLayout lay, Buffer q, Buffer k, Buffer v, List<CudaBuffer> scratch) {
        if (packed(lay, q, k, v) && !dense(lay, lay.q(), lay.lq())) {
            CudaBuffer s = take3(lay, scratch);
            be.copyStrided(window3(lay, q), strides3(lay), s, denseStrides3(lay), shape3(lay), false);
            int n = lay.batchHeads() * lay.lq() * lay.headDim();
            return new Buffer[] {s.slice(0, n), s.slice(n, n), s.slice(2 * n, n)};
        }
        return new Buffer[] {in(lay, q, lay.q(), lay.lq(), scratch), in(lay, k, lay.k(), lay.lk(), scratch),
                in(lay, v, lay.v(), lay.lk(), scratch)};
    }

    /** a, b, c one buffer (non-null), read through q, k, v at offsets spaced evenly with equal strides, lq = lk. */
    private static boolean packed(AttentionLayout lay, Buffer a, Buffer b, Buffer c) {
        Operand q = lay.q(), k = lay.k(), v = lay.v();
        return a != null && a == b && b == c && lay.lq() == lay.lk()
                && q.batchStride() == k.batchStride() && k.batchStride() == v.batchStride()
                && q.headStride() == k.headStride() && k.headStride() == v.headStride()
                && q.tokenStride() == k.tokenStride() && k.tokenStride() == v.tokenStride()
                && k.offset() > q.offset() && v.offset() - k.offset() == k.offset() - q.offset();
    }

    private CudaBuffer take3(AttentionLayout lay, List<CudaBuffer> scratch) {
        CudaBuffer s = lc.scratch(3L * lay.batchHeads() * lay.lq() * lay.headDim());
        scratch.add(s);
        return s;
    }

    private static Buffer window3(AttentionLayout lay, Buffer b) {
        return b.slice(lay.q().offset(), (int) (lay.extent(lay.v(), lay.lq()) - lay.q().offset()));
    }

    private static int[] shape3(AttentionLayout lay) {
        return new int[] {3, lay.batch(), lay.heads(), lay.lq(), lay.headDim()};
    }

    private static int[] strides3(AttentionLayout lay) {
        Operand q = lay.q();
        return new int[] {lay.k().offset() - q.offset(), q.batchStride(), q.headStride(), q.tokenStride(), 1};
    }

    private static int[] denseStrides3(AttentionLayout lay) {
        int d = lay.headDim(), l = lay.lq();
        return new int[] {lay.batchHeads() * l * d, lay.heads() * l * d, l * d, d, 1};
    }

    /** True when the operand's heads are dense [rows, d] blocks one after another, as the kernels read them. */
    private static boolean dense(AttentionLayout lay, Operand o, int rows) {
        int d = lay.headDim();
        return o.tokenStride() == d && (lay.heads() == 1 || o.headStride() == rows * d)
                && (lay.batch() <= 1 || o.batchStride() == lay.heads() * rows * d);
    }

    private static Buffer view(AttentionLayout lay, Buffer b, Operand o, int rows) {
        return b.slice(o.offset(), lay.batchHeads() * rows * lay.headDim());
    }

    private CudaBuffer take(AttentionLayout lay, int rows, List<CudaBuffer> scratch) {
        CudaBuffer s = lc.scratch((long) lay.batchHeads() * rows * lay.headDim());
        scratch.add(s);
        return s;
    }

    private Buffer in(AttentionLayout lay, Buffer b, Operand o, int rows, List<CudaBuffer> scratch) {
        if (dense(lay, o, rows)) return view(lay, b, o, rows);
        CudaBuffer s = take(lay, rows, scratch);
        be.copyStrided(window(lay, b, o, rows), strides(o), s, denseStrides(lay, rows), shape(lay, rows), false);
        return s;
    }

    private Buffer grad(AttentionLayout lay, Buffer b, Operand o, int rows, GradMode mode, List<CudaBuffer> scratch) {
        if (b == null) return null;
        if (dense(lay, o, rows)) {
            Buffer v = view(lay, b, o, rows);
            if (mode == GradMode.OVERWRITE) be.fill(v, 0f);
            return v;
        }
        CudaBuffer s = take(lay, rows, scratch);
        be.fill(s, 0f);
        return s;
    }

    private void copyOut(AttentionLayout lay, Buffer dense, Buffer dst, Operand o, int rows, boolean add) {
        be.copyStrided(dense, denseStrides(lay, rows), window(lay, dst, o, rows), strides(o), shape(lay, rows), add);
    }

    private static Buffer window(AttentionLayout lay, Buffer b, Operand o, int rows) {
        return b.slice(o.offset(), (int) (lay.extent(o, rows) - o.offset()));
    }

    private static int[] shape(AttentionLayout lay, int rows) {
        return new int[] {lay.batch(), lay.heads(), rows, lay.headDim()};
    }

    private static int[] strides(Operand o) {
        return new int[] {o.batchStride(), o.headStride(), o.tokenStride(), 1};
    }

    private static int[] denseStrides(AttentionLayout lay, int rows) {
        int d = lay.headDim();
        return new int[] {lay.heads() * rows * d, rows * d, d, 1};
    }
}
