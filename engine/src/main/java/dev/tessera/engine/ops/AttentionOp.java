package dev.tessera.engine.ops;

import static dev.tessera.engine.tensor.internal.TensorInternals.recordFused;
import static dev.tessera.engine.tensor.internal.TensorInternals.wrap;

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
 */
public final class AttentionOp {
    private AttentionOp() {}

    /** q [B, H, Lq, dh], k and v [B, H, Lk, dh] → [B, H, Lq, dh]. */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, float scale) {
        Elementwise.requireFloat("attention", q);
        Elementwise.requireFloat("attention", k);
        Elementwise.requireFloat("attention", v);
        int[] qs = q.shape(), ks = k.shape(), vs = v.shape();
        if (qs.length != 4 || ks.length != 4 || vs.length != 4) {
            throw new ShapeException("attention: expected q [B, H, Lq, dh], k and v [B, H, Lk, dh]; got q "
                    + Shape.str(qs) + ", k " + Shape.str(ks) + ", v " + Shape.str(vs));
        }
        if (!java.util.Arrays.equals(ks, vs)) {
            throw new ShapeException("attention: k " + Shape.str(ks) + " and v " + Shape.str(vs) + " must have the same shape");
        }
        if (qs[0] != ks[0] || qs[1] != ks[1] || qs[3] != ks[3]) {
            throw new ShapeException("attention: q " + Shape.str(qs) + " and k " + Shape.str(ks)
                    + " must agree on batch, heads and head dim (axes 0, 1, 3)");
        }
        if (ks[2] == 0) {
            throw new ShapeException("attention: no keys (k " + Shape.str(ks) + "); softmax over an empty row is undefined");
        }
        int batchHeads = qs[0] * qs[1], lq = qs[2], lk = ks[2], dh = qs[3];
        Tensor qc = Movement.contiguous(q), kc = Movement.contiguous(k), vc = Movement.contiguous(v);
        Backend be = q.backend();
        Buffer out = be.allocateUninitialized(batchHeads * lq * dh);
        Buffer lse = be.allocateUninitialized(batchHeads * lq);
        be.attentionForward(qc.buffer(), kc.buffer(), vc.buffer(), out, lse, batchHeads, lq, lk, dh, scale);
        return recordFused("attention", wrap(be, out, qs), g -> JointGradients.of(
                new boolean[] {qc.requiresGrad(), kc.requiresGrad(), vc.requiresGrad()},
                d -> be.attentionBackward(qc.buffer(), kc.buffer(), vc.buffer(), out, lse, g.buffer(), d[0], d[1], d[2],
                        batchHeads, lq, lk, dh, scale)), qc, kc, vc);
    }
}
