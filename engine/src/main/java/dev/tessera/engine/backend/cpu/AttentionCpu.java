package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.GradMode;

/**
 * Scaled dot-product attention, forward and backward, for independent heads: the CPU reference for
 * {@code AttentionCuda} (Vaswani et al. 2017, eq. 1). Per head, q [lq, d], k and v [lk, d]:
 * <pre>
 *   S = scale·q·kᵀ            [lq, lk]
 *   P = softmax_rows(S)       lse_i = log Σ_j exp(S_ij)  (saved instead of P: O(lq) memory, not O(lq·lk))
 *   out = P·v                 [lq, d]
 * backward (D_i = Σ_j P_ij·dP_ij = dout_i·out_i, the FlashAttention-2 identity):
 *   dP = dout·vᵀ,  dS = P ∘ (dP − D),  dq = scale·dS·k,  dk = scale·dSᵀ·q,  dv = Pᵀ·dout
 * </pre>
 * lq ≠ lk is cross-attention (CAE's regressor: 98 queries over 196 keys). Heads run in parallel; the per-head
 * methods see dense rows, {@link AttentionCpuHeads} finds them in any {@code AttentionLayout}.
 */
public final class AttentionCpu {
    private AttentionCpu() {}

    /** Dense heads one after another: q, out [heads, lq, d], k, v [heads, lk, d], lse [heads, lq]. */
    public static void forward(Parallel par, float[] q, int qo, float[] k, int ko, float[] v, int vo,
                               float[] out, int oo, float[] lse, int lo,
                               int heads, int lq, int lk, int d, float scale) {
        AttentionCpuHeads.forward(par, AttentionLayout.contiguous(heads, lq, lk, d), q, qo, k, ko, v, vo, out, oo,
                lse, lo, () -> forwardHead(lq, lk, d, scale));
    }

    /** Accumulates into dq, dk, dv (each may be null). Heads are independent, so no two threads share a row. */
    public static void backward(Parallel par, float[] q, int qo, float[] k, int ko, float[] v, int vo,
                                float[] out, int oo, float[] lse, int lo, float[] dout, int doo,
                                float[] dq, int dqo, float[] dk, int dko, float[] dv, int dvo,
                                int heads, int lq, int lk, int d, float scale) {
        AttentionCpuHeads.backward(par, AttentionLayout.contiguous(heads, lq, lk, d), q, qo, k, ko, v, vo, out, oo,
                lse, lo, dout, doo, dq, dqo, dk, dko, dv, dvo, GradMode.ACCUMULATE, () -> backwardHead(lq, lk, d, scale));
    }

    /** One head's forward on dense rows, with its own score and accumulator rows (one per thread chunk). */
    static AttentionCpuHeads.ForwardHead forwardHead(int lq, int lk, int d, float scale) {
        double[] s = new double[lk];
        double[] acc = new double[d];
        return (q, qb, k, kb, v, vb, out, ob, lse, lb) -> {
            for (int i = 0; i < lq; i++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < lk; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += (double) q[qb + i * d + c] * k[kb + j * d + c];
                    s[j] = dot * scale;
                    m = Math.max(m, s[j]);
                }
                double l = 0;
                for (int j = 0; j < lk; j++) {
                    s[j] = Math.exp(s[j] - m);
                    l += s[j];
                }
                java.util.Arrays.fill(acc, 0);
                for (int j = 0; j < lk; j++) {
                    double p = s[j] / l;
                    for (int c = 0; c < d; c++) acc[c] += p * v[vb + j * d + c];
                }
                for (int c = 0; c < d; c++) out[ob + i * d + c] = (float) acc[c];
                lse[lb + i] = (float) (m + Math.log(l));
            }
        };
    }

    /** One head's backward on dense rows; adds into dq, dk, dv (each may be null). */
    static AttentionCpuHeads.BackwardHead backwardHead(int lq, int lk, int d, float scale) {
        double[] p = new double[lk];
        double[] ds = new double[lk];
        return (q, qb, k, kb, v, vb, out, ob, lse, lb, dout, gb, dq, dqb, dk, dkb, dv, dvb) -> {
            for (int i = 0; i < lq; i++) {
                double rowLse = lse[lb + i];
                double di = 0;
                for (int c = 0; c < d; c++) di += (double) dout[gb + i * d + c] * out[ob + i * d + c];
                for (int j = 0; j < lk; j++) {
                    double dot = 0, dp = 0;
                    for (int c = 0; c < d; c++) {
                        dot += (double) q[qb + i * d + c] * k[kb + j * d + c];
                        dp += (double) dout[gb + i * d + c] * v[vb + j * d + c];
                    }
                    p[j] = Math.exp(dot * scale - rowLse);
                    ds[j] = p[j] * (dp - di);
                }
                if (dq != null) {
                    int b = dqb + i * d;
                    for (int c = 0; c < d; c++) {
                        double a = 0;
                        for (int j = 0; j < lk; j++) a += ds[j] * k[kb + j * d + c];
                        dq[b + c] += (float) (scale * a);
                    }
                }
                for (int j = 0; j < lk; j++) {
                    if (dk != null) {
                        int b = dkb + j * d;
                        for (int c = 0; c < d; c++) dk[b + c] += (float) (scale * ds[j] * q[qb + i * d + c]);
                    }
                    if (dv != null) {
                        int b = dvb + j * d;
                        for (int c = 0; c < d; c++) dv[b + c] += (float) (p[j] * dout[gb + i * d + c]);
                    }
                }
            }
        };
    }
}
