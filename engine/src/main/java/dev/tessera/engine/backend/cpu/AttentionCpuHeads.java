package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.AttentionLayout.Operand;
import dev.tessera.engine.backend.GradMode;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Runs one of the CPU attention kernels ({@link AttentionCpu}, {@link AttentionCpuFast}, {@link AttentionCpuBf16})
 * over an {@link AttentionLayout}: heads in parallel, and for each head its q, k, v, out (and dout, dq, dk, dv)
 * rows handed to the kernel's per-head compute as dense [rows, d] blocks. An operand whose rows are already dense
 * (token stride d: the [B·H, L, d] layout) is passed in place; a strided one (rows inside a [N, T, 3D] qkv or a
 * [N, T, D] token-major tensor) is copied row by row into per-thread scratch first, and a strided result copied
 * back. The copies are L·d floats per head, cache-resident next to the O(L²·d) compute, and they move values
 * without arithmetic, so a head's result does not depend on the layout it was read from, bit for bit.
 *
 * <p>Gradients: the kernels add. {@link GradMode#OVERWRITE} starts the scratch (or a dense destination) at zero,
 * so the kernel's first {@code +=} yields 0 + x, as on the zero-filled buffer the composed head split had, and the
 * scratch is copied over the destination rows. {@link GradMode#ACCUMULATE} adds in place on a dense destination;
 * on a strided one the kernel adds into zeroed scratch, which is then added to the destination rows: dq, dk and
 * dv may then alias (one tensor passed as q, k and v: the same rows), and each adds its own part.
 */
final class AttentionCpuHeads {
    private AttentionCpuHeads() {}

    /** A kernel's compute for one head on dense rows: q, out [lq, d] at qb, ob; k, v [lk, d]; lse [lq] at lb. */
    @FunctionalInterface
    interface ForwardHead {
        void run(float[] q, int qb, float[] k, int kb, float[] v, int vb, float[] out, int ob, float[] lse, int lb);
    }

    /** A kernel's backward for one head on dense rows; adds into dq, dk, dv (each may be null). */
    @FunctionalInterface
    interface BackwardHead {
        void run(float[] q, int qb, float[] k, int kb, float[] v, int vb, float[] out, int ob, float[] lse, int lb,
                 float[] dout, int gb, float[] dq, int dqb, float[] dk, int dkb, float[] dv, int dvb);
    }

    /** Per-thread row scratch, grown on demand; a training step repeats the same shapes. */
    private static final class Rows {
        final float[][] slot = new float[8][0];

        float[] get(int i, int length) {
            if (slot[i].length < length) slot[i] = new float[length];
            return slot[i];
        }
    }

    private static final ThreadLocal<Rows> ROWS = ThreadLocal.withInitial(Rows::new);
    private static final int Q = 0, K = 1, V = 2, OUT = 3, DOUT = 4, DQ = 5, DK = 6, DV = 7;

    /** {@code kernel} is asked once per thread chunk, so each chunk may own its scratch. */
    static void forward(Parallel par, AttentionLayout lay, float[] q, int qo, float[] k, int ko, float[] v, int vo,
                        float[] out, int oo, float[] lse, int lo, Supplier<ForwardHead> kernel) {
        int lq = lay.lq(), lk = lay.lk(), d = lay.headDim(), heads = lay.heads();
        par.forWeighted(lay.batchHeads(), 1, (from, to) -> {
            ForwardHead f = kernel.get();
            Rows rows = ROWS.get();
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh - b * heads;
                Head hq = Head.in(rows, Q, q, qo, lay.q(), b, h, lq, d);
                Head hk = Head.in(rows, K, k, ko, lay.k(), b, h, lk, d);
                Head hv = Head.in(rows, V, v, vo, lay.v(), b, h, lk, d);
                Head ho = Head.out(rows, OUT, out, oo, lay.out(), b, h, lq, d, null);
                f.run(hq.a, hq.at, hk.a, hk.at, hv.a, hv.at, ho.a, ho.at, lse, lo + bh * lq);
                ho.writeBack();
            }
        });
    }

    static void backward(Parallel par, AttentionLayout lay, float[] q, int qo, float[] k, int ko, float[] v, int vo,
                         float[] out, int oo, float[] lse, int lo, float[] dout, int doo,
                         float[] dq, int dqo, float[] dk, int dko, float[] dv, int dvo, GradMode mode,
                         Supplier<BackwardHead> kernel) {
        int lq = lay.lq(), lk = lay.lk(), d = lay.headDim(), heads = lay.heads();
        par.forWeighted(lay.batchHeads(), 1, (from, to) -> {
            BackwardHead f = kernel.get();
            Rows rows = ROWS.get();
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh - b * heads;
                Head hq = Head.in(rows, Q, q, qo, lay.q(), b, h, lq, d);
                Head hk = Head.in(rows, K, k, ko, lay.k(), b, h, lk, d);
                Head hv = Head.in(rows, V, v, vo, lay.v(), b, h, lk, d);
                Head ho = Head.in(rows, OUT, out, oo, lay.out(), b, h, lq, d);
                Head hg = Head.in(rows, DOUT, dout, doo, lay.out(), b, h, lq, d);
                Head gq = Head.out(rows, DQ, dq, dqo, lay.q(), b, h, lq, d, mode);
                Head gk = Head.out(rows, DK, dk, dko, lay.k(), b, h, lk, d, mode);
                Head gv = Head.out(rows, DV, dv, dvo, lay.v(), b, h, lk, d, mode);
                f.run(hq.a, hq.at, hk.a, hk.at, hv.a, hv.at, ho.a, ho.at, lse, lo + bh * lq, hg.a, hg.at,
                        gq.a, gq.at, gk.a, gk.at, gv.a, gv.at);
                gq.writeBack();
                gk.writeBack();
                gv.writeBack();
            }
        });
    }

    /**
     * One head of one operand as the kernel sees it: array {@code a} with dense rows from {@code at}. For a strided
     * result, where to copy the scratch back to.
     */
    private record Head(float[] a, int at, float[] dst, long base, int stride, int rows, int d, boolean add) {
        static final Head NONE = new Head(null, 0, null, 0, 0, 0, 0, false);

        /** An input: in place when dense, else its rows gathered into scratch slot {@code slot}. */
        static Head in(Rows rows, int slot, float[] src, int so, Operand o, int b, int h, int n, int d) {
            long base = so + o.row(b, h, 0);
            if (o.denseRows(d)) return new Head(src, (int) base, null, 0, 0, 0, 0, false);
            float[] s = rows.get(slot, n * d);
            for (int t = 0; t < n; t++) System.arraycopy(src, (int) (base + (long) t * o.tokenStride()), s, t * d, d);
            return new Head(s, 0, null, 0, 0, 0, 0, false);
        }

        /**
         * A result (null {@code dst}: not wanted). {@code mode} null is a forward output (overwritten by the kernel);
         * otherwise a gradient the kernel adds into, prepared as the class comment says.
         */
        static Head out(Rows rows, int slot, float[] dst, int so, Operand o, int b, int h, int n, int d, GradMode mode) {
            if (dst == null) return NONE;
            long base = so + o.row(b, h, 0);
            if (o.denseRows(d)) {
                if (mode == GradMode.OVERWRITE) Arrays.fill(dst, (int) base, (int) base + n * d, 0f);
                return new Head(dst, (int) base, null, 0, 0, 0, 0, false);
            }
            float[] s = rows.get(slot, n * d);
            if (mode != null) Arrays.fill(s, 0, n * d, 0f);
            return new Head(s, 0, dst, base, o.tokenStride(), n, d, mode == GradMode.ACCUMULATE);
        }

        void writeBack() {
            if (dst == null) return;
            for (int t = 0; t < rows; t++) {
                int at = (int) (base + (long) t * stride);
                if (add) for (int c = 0; c < d; c++) dst[at + c] += a[t * d + c];
                else System.arraycopy(a, t * d, dst, at, d);
            }
        }
    }
}
