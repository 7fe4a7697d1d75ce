package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.recordFused;
import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.tensor.internal.JointGradients;

/**
 * Scaled dot-product attention as one fused op (Vaswani et al. 2017, eq. 1): out = softmax(q·kᵀ·scale)·v per
 * (sample, head). The [Lq, Lk] probability matrix is never kept: forward saves only the log-sum-exp of each
 * score row, and backward rebuilds the probabilities from it (FlashAttention, Dao et al. 2022, §3.1). The
 * kernels and their gradient formulas are in {@code backend.cpu.AttentionCpu}.
 *
 * <p>Self-attention passes q, k, v of one length; CAE's regressor is cross-attention (queries for the masked
 * patches, keys/values over all patches), so Lq may differ from Lk. The usual scale is dh^-0.5 (docs/vit.md#block).
 *
 * <p>Three entry points, one backend call ({@link AttentionLayout} tells it where each head's rows are):
 * <ul>
 *   <li>{@link #selfAttention}: the qkv Linear's output [N, T, 3D] in, [N, T, D] out — the heads are split and
 *       merged by the layout, not by permute/contiguous and transpose/reshape copies (timm's
 *       {@code reshape(B, N, 3, h, dh).permute(2, 0, 3, 1, 4)} and {@code transpose(1, 2).reshape(B, N, C)}),
 *       and the gradient is written straight into one [N, T, 3D] buffer;</li>
 *   <li>{@link #attention(Tensor, Tensor, Tensor, int, float)}: token-major q [N, Lq, D], k and v [N, Lk, D];</li>
 *   <li>{@link #attention(Tensor, Tensor, Tensor, float)}: head-major q [B, H, Lq, dh], k and v [B, H, Lk, dh].</li>
 * </ul>
 */
public final class AttentionOp {
    private AttentionOp() {}

    /** q [B, H, Lq, dh], k and v [B, H, Lk, dh] → [B, H, Lq, dh]. */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, float scale) {
        requireFloats(q, k, v);
        int[] qs = q.shape(), ks = k.shape(), vs = v.shape();
        if (qs.length != 4 || ks.length != 4 || vs.length != 4) {
            throw new ShapeException("attention: expected q [B, H, Lq, dh], k and v [B, H, Lk, dh]; got q "
                    + Shape.str(qs) + ", k " + Shape.str(ks) + ", v " + Shape.str(vs));
        }
        requireSameKv(ks, vs);
        if (qs[0] != ks[0] || qs[1] != ks[1] || qs[3] != ks[3]) {
            throw new ShapeException("attention: q " + Shape.str(qs) + " and k " + Shape.str(ks)
                    + " must agree on batch, heads and head dim (axes 0, 1, 3)");
        }
        requireKeys(ks, 2);
        return fused("attention", AttentionLayout.contiguous(qs[0] * qs[1], qs[2], ks[2], qs[3]), qs, q, k, v, scale);
    }

    /**
     * Token-major multi-head attention: q [N, Lq, D], k and v [N, Lk, D] with D = heads·dh, each split into heads
     * along the feature axis (head-major: features [h·dh, (h+1)·dh) are head h) → [N, Lq, D], the heads'
     * outputs concatenated in the same order. Equal to splitting with {@code reshape(N, L, heads, dh).transpose(1, 2)},
     * {@link #attention(Tensor, Tensor, Tensor, float)}, and merging with {@code transpose(1, 2).reshape(N, Lq, D)},
     * without the copies.
     */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, int heads, float scale) {
        requireFloats(q, k, v);
        int[] qs = q.shape(), ks = k.shape(), vs = v.shape();
        if (qs.length != 3 || ks.length != 3 || vs.length != 3) {
            throw new ShapeException("attention: expected token-major q [N, Lq, D], k and v [N, Lk, D]; got q "
                    + Shape.str(qs) + ", k " + Shape.str(ks) + ", v " + Shape.str(vs));
        }
        requireSameKv(ks, vs);
        if (qs[0] != ks[0] || qs[2] != ks[2]) {
            throw new ShapeException("attention: q " + Shape.str(qs) + " and k " + Shape.str(ks)
                    + " must agree on batch and features (axes 0, 2)");
        }
        requireHeads(qs[2], heads);
        requireKeys(ks, 1);
        return fused("attention", AttentionLayout.tokenMajor(qs[0], heads, qs[1], ks[1], qs[2] / heads), qs, q, k, v, scale);
    }

    /**
     * Self-attention on a fused qkv projection: qkv [N, T, 3D] laid out as timm's {@code reshape(N, T, 3, heads,
     * D/heads)} (q, k, v at features [0, D), [D, 2D), [2D, 3D), each head-major) → [N, T, D], heads concatenated.
     */
    public static Tensor selfAttention(Tensor qkv, int heads, float scale) {
        Elementwise.requireFloat("selfAttention", qkv);
        int[] s = qkv.shape();
        if (s.length != 3 || s[2] % 3 != 0) {
            throw new ShapeException("selfAttention: expected qkv [N, T, 3D]; got " + Shape.str(s));
        }
        int dim = s[2] / 3;
        requireHeads(dim, heads);
        if (s[1] == 0) throw new ShapeException("selfAttention: no tokens (qkv " + Shape.str(s) + ")");
        AttentionLayout layout = AttentionLayout.packedQkv(s[0], s[1], heads, dim / heads);
        Tensor c = Movement.contiguous(qkv);
        Backend be = c.backend();
        Buffer out = be.allocateUninitialized(s[0] * s[1] * dim);
        Buffer lse = be.allocateUninitialized(layout.batchHeads() * s[1]);
        Buffer b = c.buffer();
        be.attentionForward(layout, b, b, b, out, lse, scale);
        return recordFused("selfAttention", wrap(be, out, s[0], s[1], dim), g -> JointGradients.overwriting(be,
                new boolean[] {c.requiresGrad()},
                (d, mode) -> be.attentionBackward(layout, b, b, b, out, lse, g.buffer(), d[0], d[0], d[0], scale, mode)), c);
    }

    /** q, k, v made contiguous, read through {@code layout}; the output has q's shape. */
    private static Tensor fused(String op, AttentionLayout layout, int[] outShape, Tensor q, Tensor k, Tensor v, float scale) {
        Tensor qc = Movement.contiguous(q), kc = Movement.contiguous(k), vc = Movement.contiguous(v);
        Backend be = q.backend();
        Buffer out = be.allocateUninitialized(layout.batchHeads() * layout.lq() * layout.headDim());
        Buffer lse = be.allocateUninitialized(layout.batchHeads() * layout.lq());
        be.attentionForward(layout, qc.buffer(), kc.buffer(), vc.buffer(), out, lse, scale);
        return recordFused(op, wrap(be, out, outShape), g -> JointGradients.overwriting(be,
                new boolean[] {qc.requiresGrad(), kc.requiresGrad(), vc.requiresGrad()},
                (d, mode) -> be.attentionBackward(layout, qc.buffer(), kc.buffer(), vc.buffer(), out, lse, g.buffer(),
                        d[0], d[1], d[2], scale, mode)), qc, kc, vc);
    }

    private static void requireFloats(Tensor q, Tensor k, Tensor v) {
        Elementwise.requireFloat("attention", q);
        Elementwise.requireFloat("attention", k);
        Elementwise.requireFloat("attention", v);
    }

    private static void requireSameKv(int[] ks, int[] vs) {
        if (!java.util.Arrays.equals(ks, vs)) {
            throw new ShapeException("attention: k " + Shape.str(ks) + " and v " + Shape.str(vs) + " must have the same shape");
        }
    }

    private static void requireKeys(int[] ks, int axis) {
        if (ks[axis] == 0) {
            throw new ShapeException("attention: no keys (k " + Shape.str(ks) + "); softmax over an empty row is undefined");
        }
    }

    private static void requireHeads(int dim, int heads) {
        if (heads < 1 || dim % heads != 0) {
            throw new ShapeException("attention: features " + dim + " not divisible into " + heads + " heads");
        }
    }
}
