// emu_attention_layout.h — AttnLayout builders mirroring AttentionLayout.contiguous / packedQkv / tokenMajor
// (engine/.../backend/AttentionLayout.java), and the double-precision attention loops over any layout that the
// strided checks of attention.cu (emu_test.cpp) and attention_flash.cu (emu_flash_checks.h) compare with.
#pragma once
#include "emu_check.h"

static AttnLayout attnContiguous(int bh, int lq, int lk, int d) {
    AttnOperand qo{0, lq * d, lq * d, d}, kv{0, lk * d, lk * d, d};
    return AttnLayout{1, qo, kv, kv, qo};
}

// q, k, v inside the qkv Linear's output [n, t, 3·heads·d] (timm's reshape(n, t, 3, h, d)), out [n, t, heads·d].
static AttnLayout attnPackedQkv(int n, int t, int heads, int d) {
    int dim = heads * d, row = 3 * dim;
    return AttnLayout{heads, {0, t * row, d, row}, {dim, t * row, d, row}, {2 * dim, t * row, d, row}, {0, t * dim, d, dim}};
}

// q and out [n, lq, heads·d], k and v [n, lk, heads·d] (CAE's cross-attention).
static AttnLayout attnTokenMajor(int n, int heads, int lq, int lk, int d) {
    int dim = heads * d;
    AttnOperand qo{0, lq * dim, d, dim}, kv{0, lk * dim, d, dim};
    return AttnLayout{heads, qo, kv, kv, qo};
}

// Forward and backward of bh heads in double, every operand where the layout puts it: out and lse written into
// `out` / `lse`, the gradients ADDED into dq, dk, dv (which may be one vector: the packed qkv's gradient).
static void attnReferenceOverLayout(const AttnLayout& L, int bh, int lq, int lk, int d, double scale, const std::vector<float>& q,
                                    const std::vector<float>& k, const std::vector<float>& v, const std::vector<float>& g,
                                    std::vector<double>& out, std::vector<double>& lse, std::vector<double>& dq,
                                    std::vector<double>& dk, std::vector<double>& dv) {
    std::vector<double> sc(lk), o(d);
    for (int h = 0; h < bh; h++)
        for (int i = 0; i < lq; i++) {
            size_t qi = attn_row(L.q, L.heads, h, i), oi = attn_row(L.o, L.heads, h, i);
            double m = -INFINITY;
            for (int j = 0; j < lk; j++) {
                size_t kj = attn_row(L.k, L.heads, h, j);
                double dot = 0;
                for (int c = 0; c < d; c++) dot += (double)q[qi + c] * k[kj + c];
                sc[j] = dot * scale;
                m = std::max(m, sc[j]);
            }
            double l = 0;
            for (int j = 0; j < lk; j++) l += std::exp(sc[j] - m);
            double Di = 0;
            for (int c = 0; c < d; c++) {
                double acc = 0;
                for (int j = 0; j < lk; j++) acc += std::exp(sc[j] - m) / l * v[attn_row(L.v, L.heads, h, j) + c];
                o[c] = lk > 0 ? acc : 0.0;
                out[oi + c] = o[c];
                Di += o[c] * g[oi + c];
            }
            lse[(size_t)h * lq + i] = m + std::log(l);
            for (int j = 0; j < lk; j++) {
                size_t kj = attn_row(L.k, L.heads, h, j), vj = attn_row(L.v, L.heads, h, j);
                double p = std::exp(sc[j] - m) / l, dp = 0;
                for (int c = 0; c < d; c++) dp += (double)g[oi + c] * v[vj + c];
                double ds = p * (dp - Di);
                for (int c = 0; c < d; c++) {
                    dq[qi + c] += scale * ds * k[kj + c];
                    dk[kj + c] += scale * ds * q[qi + c];
                    dv[vj + c] += p * g[oi + c];
                }
            }
        }
}
