package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.GradMode;
import dev.tessera.engine.backend.Precision;

/**
 * Scaled dot-product attention with the bf16 numerics of the tensor-core kernel {@code attention_flash.cu}
 * ({@code FlashAttentionCuda}): the CPU backend runs it under {@link Precision#BF16}, so a bf16 step computes the
 * same thing on the CPU as on the GPU. Every operand that enters a product is rounded to bf16 (round to nearest
 * even) — q, k, v, dout, the probabilities P before P·v and Pᵀ·dout, the score gradients dS before dS·k and
 * dSᵀ·q — while products are summed, softmax statistics kept and out, lse and the gradients written in fp32
 * (FlashAttention-2, Dao 2023, Algorithms 1 and 2, with {@code mma.sync} bf16 operands):
 * <pre>
 *   S = scale·bf16(q)·bf16(k)ᵀ,  m_i = max_j S_ij,  E = exp(S − m),  l_i = Σ_j E_ij   (E unrounded in l)
 *   out_i = Σ_j bf16(E_ij)·bf16(v_j) / l_i,  lse_i = m_i + log l_i
 * backward, with D_i = dout_i·out_i (fp32, unrounded):
 *   P = exp(S − lse),  dP = bf16(dout)·bf16(v)ᵀ,  dS = P ∘ (dP − D)
 *   dq += scale·bf16(dS)·bf16(k),  dk += scale·bf16(dS)ᵀ·bf16(q),  dv += bf16(P)ᵀ·bf16(dout)
 * </pre>
 * One difference remains by construction: the kernel rounds E relative to the running maximum of the key tiles
 * seen so far (online softmax) and rescales later, this reference relative to the row's final maximum; the two
 * agree whenever the maximum lies in the first key tile, and otherwise differ by at most one bf16 rounding of
 * the affected probabilities. Heads run in parallel; sums are in double, rounded once.
 */
final class AttentionCpuBf16 {
    private AttentionCpuBf16() {}

    static void forward(Parallel par, float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] out, int oo,
                        float[] lse, int lo, int heads, int lq, int lk, int d, float scale) {
        AttentionCpuHeads.forward(par, AttentionLayout.contiguous(heads, lq, lk, d), q, qo, k, ko, v, vo, out, oo,
                lse, lo, () -> forwardHead(lq, lk, d, scale));
    }

    /** Accumulates into dq, dk, dv (each may be null). */
    static void backward(Parallel par, float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] out, int oo,
                         float[] lse, int lo, float[] dout, int doo, float[] dq, int dqo, float[] dk, int dko,
                         float[] dv, int dvo, int heads, int lq, int lk, int d, float scale) {
        AttentionCpuHeads.backward(par, AttentionLayout.contiguous(heads, lq, lk, d), q, qo, k, ko, v, vo, out, oo,
                lse, lo, dout, doo, dq, dqo, dk, dko, dv, dvo, GradMode.ACCUMULATE, () -> backwardHead(lq, lk, d, scale));
    }

    /** One head's forward on dense rows, with its own rounded copies (one set per thread chunk). */
    static AttentionCpuHeads.ForwardHead forwardHead(int lq, int lk, int d, float scale) {
        float[] qr = new float[lq * d], kr = new float[lk * d], vr = new float[lk * d];
        double[] s = new double[lk], acc = new double[d];
        return (q, qb, k, kb, v, vb, out, ob, lse, lb) -> {
            Precision.BF16.round(q, qb, qr, 0, lq * d);
            Precision.BF16.round(k, kb, kr, 0, lk * d);
            Precision.BF16.round(v, vb, vr, 0, lk * d);
            for (int i = 0; i < lq; i++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < lk; j++) {
                    s[j] = (float) dot(qr, i * d, kr, j * d, d) * scale;
                    m = Math.max(m, s[j]);
                }
                double l = 0;
                java.util.Arrays.fill(acc, 0);
                for (int j = 0; j < lk; j++) {
                    float e = (float) Math.exp(s[j] - m);
                    l += e;
                    double p = Precision.bf16(e);
                    for (int c = 0; c < d; c++) acc[c] += p * vr[j * d + c];
                }
                for (int c = 0; c < d; c++) out[ob + i * d + c] = l > 0 ? (float) (acc[c] / l) : 0f;
                lse[lb + i] = (float) (m + Math.log(l));
            }
        };
    }

    /** One head's backward on dense rows; adds into dq, dk, dv (each may be null). */
    static AttentionCpuHeads.BackwardHead backwardHead(int lq, int lk, int d, float scale) {
        float[] qr = new float[lq * d], kr = new float[lk * d], vr = new float[lk * d], gr = new float[lq * d];
        float[] p = new float[lq * lk], ds = new float[lq * lk];
        return (q, qb, k, kb, v, vb, out, ob, lse, lb, dout, gb, dq, dqb, dk, dkb, dv, dvb) -> {
            Precision.BF16.round(q, qb, qr, 0, lq * d);
            Precision.BF16.round(k, kb, kr, 0, lk * d);
            Precision.BF16.round(v, vb, vr, 0, lk * d);
            Precision.BF16.round(dout, gb, gr, 0, lq * d);
            for (int i = 0; i < lq; i++) {
                float di = (float) dot(dout, gb + i * d, out, ob + i * d, d);
                float rowLse = lse[lb + i];
                for (int j = 0; j < lk; j++) {
                    float pij = (float) Math.exp((float) dot(qr, i * d, kr, j * d, d) * scale - rowLse);
                    float dp = (float) dot(gr, i * d, vr, j * d, d);
                    p[i * lk + j] = Precision.bf16(pij);
                    ds[i * lk + j] = Precision.bf16(pij * (dp - di));
                }
            }
            if (dq != null) {
                for (int i = 0; i < lq; i++)
                    for (int c = 0; c < d; c++) {
                        double a = 0;
                        for (int j = 0; j < lk; j++) a += (double) ds[i * lk + j] * kr[j * d + c];
                        dq[dqb + i * d + c] += scale * (float) a;
                    }
            }
            for (int j = 0; j < lk; j++)
                for (int c = 0; c < d; c++) {
                    double ak = 0, av = 0;
                    for (int i = 0; i < lq; i++) {
                        ak += (double) ds[i * lk + j] * qr[i * d + c];
                        av += (double) p[i * lk + j] * gr[i * d + c];
                    }
                    if (dk != null) dk[dkb + j * d + c] += scale * (float) ak;
                    if (dv != null) dv[dvb + j * d + c] += (float) av;
                }
        };
    }

    private static double dot(float[] a, int ao, float[] b, int bo, int n) {
        double s = 0;
        for (int c = 0; c < n; c++) s += (double) a[ao + c] * b[bo + c];
        return s;
    }
}
