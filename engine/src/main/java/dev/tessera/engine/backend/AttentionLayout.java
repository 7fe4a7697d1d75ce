package dev.tessera.engine.backend;

/**
 * Where {@link Backend#attentionForward} and {@link Backend#attentionBackward} find each head's rows: for q, k,
 * v and out an element offset plus batch, head and token strides; the head-dim axis is always unit stride. Row
 * t of head h in sample b of an operand starts at {@code offset + b·batchStride + h·headStride + t·tokenStride}.
 * The gradients share their operand's layout (dq is laid out as q, dk as k, dv as v, dout as out); the
 * log-sum-exp is always contiguous [batch·heads, lq].
 *
 * <p>Three instances cover Tessera's callers:
 * <ul>
 *   <li>{@link #contiguous}: every head a dense [L, d] block, heads one after another (the [B, H, L, dh] tensors
 *       of {@code Tensor.attention(q, k, v, scale)});</li>
 *   <li>{@link #packedQkv}: q, k and v read straight from the qkv Linear's [N, T, 3D] output in timm's
 *       {@code reshape(N, T, 3, h, dh)} order, out written as [N, T, h·dh] (the heads concatenated, timm's
 *       {@code transpose(1, 2).reshape(N, T, D)}), so the head split and merge cost no copy;</li>
 *   <li>{@link #tokenMajor}: q [N, Lq, h·dh], k and v [N, Lk, h·dh], out [N, Lq, h·dh] (CAE's cross-attention,
 *       three separate Linears).</li>
 * </ul>
 * Strides are int: a buffer holds at most 2³¹−1 elements, so every row start fits; kernels that form them from
 * products widen to 64 bits first.
 */
public record AttentionLayout(int batch, int heads, int lq, int lk, int headDim,
                              Operand q, Operand k, Operand v, Operand out) {

    /** One operand's place: row t of head h in sample b starts at offset + b·batchStride + h·headStride + t·tokenStride. */
    public record Operand(int offset, int batchStride, int headStride, int tokenStride) {
        public Operand {
            if (offset < 0 || batchStride < 0 || headStride < 0 || tokenStride < 0) {
                throw new IllegalArgumentException("AttentionLayout.Operand: negative offset or stride: offset " + offset
                        + ", strides (" + batchStride + ", " + headStride + ", " + tokenStride + ")");
            }
        }

        /** Element index where row t of head h in sample b starts. */
        public long row(int b, int h, int t) {
            return offset + (long) b * batchStride + (long) h * headStride + (long) t * tokenStride;
        }

        /** True when head h's rows are one dense [rows, d] block (token stride d). */
        public boolean denseRows(int d) {
            return tokenStride == d;
        }
    }

    public AttentionLayout {
        if (batch < 0 || heads < 1 || lq < 0 || lk < 0 || headDim < 1) {
            throw new IllegalArgumentException("AttentionLayout: batch=" + batch + " heads=" + heads + " lq=" + lq
                    + " lk=" + lk + " headDim=" + headDim);
        }
        if ((long) batch * heads > Integer.MAX_VALUE || (long) batch * heads * lq > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("AttentionLayout: " + batch + "·" + heads + "·" + lq + " query rows exceed 2^31-1");
        }
    }

    /** {@code batchHeads} dense heads one after another: q and out [batchHeads, lq, d], k and v [batchHeads, lk, d]. */
    public static AttentionLayout contiguous(int batchHeads, int lq, int lk, int headDim) {
        Operand qo = new Operand(0, lq * headDim, lq * headDim, headDim);
        Operand kv = new Operand(0, lk * headDim, lk * headDim, headDim);
        return new AttentionLayout(batchHeads, 1, lq, lk, headDim, qo, kv, kv, qo);
    }

    /**
     * Self-attention on the qkv Linear's output [n, t, 3·h·d] (timm's {@code reshape(n, t, 3, h, d)}: q, k, v
     * at feature offsets 0, D, 2D, head-major inside each), out [n, t, h·d].
     */
    public static AttentionLayout packedQkv(int n, int t, int heads, int headDim) {
        int dim = heads * headDim, row = 3 * dim;
        return new AttentionLayout(n, heads, t, t, headDim,
                new Operand(0, t * row, headDim, row), new Operand(dim, t * row, headDim, row),
                new Operand(2 * dim, t * row, headDim, row), new Operand(0, t * dim, headDim, dim));
    }

    /** Token-major q and out [n, lq, h·d], k and v [n, lk, h·d], heads concatenated along the feature axis. */
    public static AttentionLayout tokenMajor(int n, int heads, int lq, int lk, int headDim) {
        int dim = heads * headDim;
        Operand qo = new Operand(0, lq * dim, headDim, dim);
        Operand kv = new Operand(0, lk * dim, headDim, dim);
        return new AttentionLayout(n, heads, lq, lk, headDim, qo, kv, kv, qo);
    }

    /** batch·heads, the number of independent heads (and of lse rows per query position). */
    public int batchHeads() {
        return batch * heads;
    }

    /**
     * One past the last element an operand with {@code rows} rows per head touches (0 when there is nothing to
     * touch): a buffer of at least this length holds it.
     */
    public long extent(Operand o, int rows) {
        if (batch == 0 || rows == 0) return 0;
        return o.row(batch - 1, heads - 1, rows - 1) + headDim;
    }

    /** Throws unless buffer {@code b} (named {@code what}) holds operand {@code o} with {@code rows} rows per head. */
    public void check(String what, Buffer b, Operand o, int rows) {
        if (b == null) return;
        long need = extent(o, rows);
        if (need > b.length()) {
            throw new IllegalArgumentException("attention " + what + ": layout " + o + " with " + batch + "×" + heads
                    + "×" + rows + " rows of " + headDim + " needs " + need + " elements, buffer has " + b.length());
        }
    }

    /** Checks every buffer of a forward call (lse [batch·heads, lq] contiguous). */
    public void checkForward(Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse) {
        check("q", q, this.q, lq);
        check("k", k, this.k, lk);
        check("v", v, this.v, lk);
        check("out", out, this.out, lq);
        if ((long) batchHeads() * lq > lse.length()) {
            throw new IllegalArgumentException("attention lse: needs " + (long) batchHeads() * lq + " elements, buffer has "
                    + lse.length());
        }
    }
}
