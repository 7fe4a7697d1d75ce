// emu_flash_checks.h — attention_flash.cu (forward, dq, dk/dv) against double-precision loops.
// Tight: the reference runs on bf16-ROUNDED q, k, v, dout; the kernel additionally rounds P (forward and dV)
// and dS (dq, dk) to bf16 before the second product, so each output may differ by u = 2⁻⁸ of the sum of
// magnitudes of that product's terms — computed per element by the reference (e.g. out_ic: u·Σ_j P_ij·|v_jc|)
// — plus fp32 slack. A misplaced fragment element makes a whole term wrong, far outside that.
// Loose, forward: against UNROUNDED inputs; rounding q and k moves each score by at most
// δ_i = scale·2⁻⁷·max_j Σ_c|q_ic·k_jc|, which moves lse by ≤ δ_i and out_ic by ≤ 2δ_i·Σ_j P_ij·(|v_jc| + |out_ic|)
// to first order; v and P roundings add 2u·Σ_j P_ij|v_jc|. Loose, backward: relative Frobenius error ≤ 2⁻⁵
// (each term carries ~3 bf16 roundings of relative 2⁻⁸; random signs keep the sum's relative error ~1%),
// with an absolute floor of 2⁻⁸ per element for gradients that cancel (relFrobenius).
// Shapes: L = 50 (MAE-B encoder tokens), L = 197 (ViT-B/16), d = 32 (MAE-B decoder) / 64 / 128, CAE's
// cross-attention (98 queries over 196 keys), tails of every tile, lq = lk = 1, and bh = 70000 > 65535
// (grid.x decoding; only the last blocks run).
#pragma once
#include "emu_attention_layout.h"
#include "emu_check.h"

struct FlashCase { int bh, lq, lk, d; };

typedef void (*FlashFwd)(const float*, const float*, const float*, float*, float*, AttnLayout, int, int, int, float);
typedef void (*FlashDq)(const float*, const float*, const float*, const float*, const float*, const float*, float*, AttnLayout, int,
                        int, int, float, int);
typedef void (*FlashDkdv)(const float*, const float*, const float*, const float*, const float*, const float*, float*, float*,
                          AttnLayout, int, int, int, float, int);

struct FlashKernels { FlashFwd fwd; FlashDq dq; FlashDkdv dkdv; int fwdShared, dqShared, dkdvShared; };

static FlashKernels flashKernels(int d) {
    switch (d) {
        case 32: return {attention_flash_forward_d32, attention_flash_backward_dq_d32, attention_flash_backward_dkdv_d32,
                         FlashTiles<32>::FWD_SHARED, FlashTiles<32>::DQ_SHARED, FlashTiles<32>::DKDV_SHARED};
        case 64: return {attention_flash_forward_d64, attention_flash_backward_dq_d64, attention_flash_backward_dkdv_d64,
                         FlashTiles<64>::FWD_SHARED, FlashTiles<64>::DQ_SHARED, FlashTiles<64>::DKDV_SHARED};
        default: return {attention_flash_forward_d128, attention_flash_backward_dq_d128, attention_flash_backward_dkdv_d128,
                         FlashTiles<128>::FWD_SHARED, FlashTiles<128>::DQ_SHARED, FlashTiles<128>::DKDV_SHARED};
    }
}

// ‖a − e‖ / (‖e‖ + 8·2⁻⁵·√n·2⁻⁸): the relative Frobenius error, with a floor of 2⁻⁸ per element for
// gradients that cancel to ~0 (one key: dS = P·(dP − D) with D = dP exactly, only rounding noise remains).
static double relFrobenius(const std::vector<double>& e, const std::vector<float>& a) {
    double num = 0, den = 0;
    for (size_t i = 0; i < e.size(); i++) { num += (a[i] - e[i]) * (a[i] - e[i]); den += e[i] * e[i]; }
    return std::sqrt(num) / (std::sqrt(den) + 8 * std::sqrt((double)e.size()) * std::ldexp(1.0, -8));
}

// The reference of one case: forward on inputs rounded or not, and the backward given lse and D.
struct FlashRef {
    std::vector<double> out, lse, outAllow, lseAllow, dq, dk, dv, dqAllow, dkAllow, dvAllow;
};

static FlashRef flashReference(const FlashCase& s, float scale, const std::vector<float>& q0, const std::vector<float>& k0,
                               const std::vector<float>& v0, const std::vector<float>& g0, const std::vector<float>& lseIn,
                               const std::vector<float>& Din, bool rounded, const std::vector<float>& dqInit,
                               const std::vector<float>& dkInit, const std::vector<float>& dvInit) {
    const double u = std::ldexp(1.0, -8);
    int d = s.d, nq = s.bh * s.lq * d, nk = s.bh * s.lk * d;
    auto rd = [&](const std::vector<float>& x) {
        std::vector<double> r(x.size());
        for (size_t i = 0; i < x.size(); i++) r[i] = rounded ? roundBf16(x[i]) : x[i];
        return r;
    };
    auto q = rd(q0), k = rd(k0), v = rd(v0), g = rd(g0);
    FlashRef R;
    R.out.assign(nq, 0); R.outAllow.assign(nq, 0); R.lse.assign(s.bh * s.lq, 0); R.lseAllow.assign(s.bh * s.lq, 0);
    R.dq.assign(dqInit.begin(), dqInit.end()); R.dk.assign(dkInit.begin(), dkInit.end()); R.dv.assign(dvInit.begin(), dvInit.end());
    R.dqAllow.assign(nq, 1e-6); R.dkAllow.assign(nk, 1e-6); R.dvAllow.assign(nk, 1e-6);
    for (size_t i = 0; i < R.dq.size(); i++) R.dqAllow[i] += 1e-6 * std::fabs(R.dq[i]);
    for (size_t i = 0; i < R.dk.size(); i++) { R.dkAllow[i] += 1e-6 * std::fabs(R.dk[i]); R.dvAllow[i] += 1e-6 * std::fabs(R.dv[i]); }
    std::vector<double> sc(s.lk), mag(s.lk), P(s.lk);
    for (int h = 0; h < s.bh; h++)
        for (int i = 0; i < s.lq; i++) {
            const double* qi = &q[((size_t)h * s.lq + i) * d];
            double m = -INFINITY, delta = 0;
            for (int j = 0; j < s.lk; j++) {
                const double* kj = &k[((size_t)h * s.lk + j) * d];
                double dot = 0, am = 0;
                for (int c = 0; c < d; c++) { dot += qi[c] * kj[c]; am += std::fabs(qi[c] * kj[c]); }
                sc[j] = dot * scale;
                mag[j] = am * scale;
                delta = std::max(delta, std::ldexp(am * scale, -7));
                m = std::max(m, sc[j]);
            }
            double l = 0;
            for (int j = 0; j < s.lk; j++) l += std::exp(sc[j] - m);
            size_t row = (size_t)h * s.lq + i;
            R.lse[row] = m + std::log(l);
            R.lseAllow[row] = 1e-5 + 1e-6 * std::fabs(R.lse[row]) + (rounded ? 0 : delta);
            for (int c = 0; c < d; c++) {
                double acc = 0, pv = 0;
                for (int j = 0; j < s.lk; j++) {
                    double p = std::exp(sc[j] - m) / l, vj = v[((size_t)h * s.lk + j) * d + c];
                    acc += p * vj;
                    pv += p * std::fabs(vj);
                }
                R.out[row * d + c] = acc;
                double spread = 0;
                for (int j = 0; j < s.lk; j++)
                    spread += std::exp(sc[j] - m) / l * (std::fabs(v[((size_t)h * s.lk + j) * d + c]) + std::fabs(acc));
                R.outAllow[row * d + c] = 1e-6 + (u + 1e-5) * pv + (rounded ? 0 : 2 * delta * spread + 2 * u * pv);
            }
            // backward with the given lse and D (as the kernels get them)
            double L = lseIn[row], Di = Din[row];
            const double* gi = &g[row * d];
            for (int j = 0; j < s.lk; j++) {
                const double* vj = &v[((size_t)h * s.lk + j) * d];
                const double* kj = &k[((size_t)h * s.lk + j) * d];
                double p = std::exp(sc[j] - L), dp = 0, dpMag = std::fabs(Di);
                for (int c = 0; c < d; c++) { dp += gi[c] * vj[c]; dpMag += std::fabs(gi[c] * vj[c]); }
                double ds = p * (dp - Di), dsSlack = u * std::fabs(ds) + 2e-6 * p * (dpMag + mag[j]);
                for (int c = 0; c < d; c++) {
                    size_t oq = row * d + c, ok = ((size_t)h * s.lk + j) * d + c;
                    R.dq[oq] += scale * ds * kj[c];
                    R.dqAllow[oq] += scale * dsSlack * std::fabs(kj[c]);
                    R.dk[ok] += scale * ds * qi[c];
                    R.dkAllow[ok] += scale * dsSlack * std::fabs(qi[c]);
                    R.dv[ok] += p * gi[c];
                    R.dvAllow[ok] += (u + 2e-6) * p * std::fabs(gi[c]);
                }
            }
        }
    return R;
}

static void checkFlashCase(const FlashCase& s) {
    int d = s.d, nq = s.bh * s.lq * d, nk = s.bh * s.lk * d;
    float scale = 1 / std::sqrt((float)d);
    auto q = uniform(50, nq, -1.5, 1.5), k = uniform(51, nk, -1.5, 1.5), v = uniform(52, nk, -1, 1), g = uniform(53, nq, -1, 1);
    auto dq0 = uniform(54, nq, -1, 1), dk0 = uniform(55, nk, -1, 1), dv0 = uniform(56, nk, -1, 1);
    FlashKernels K = flashKernels(d);
    std::string tag = " d" + std::to_string(d) + " [bh " + std::to_string(s.bh) + " lq " + std::to_string(s.lq) + " lk " +
                      std::to_string(s.lk) + "]";
    unsigned qBlocks = ceilDiv(s.lq, 64), kBlocks = ceilDiv(s.lk, 64);
    AttnLayout lay = attnContiguous(s.bh, s.lq, s.lk, d);

    std::vector<float> out(nq), lse(s.bh * s.lq);
    emu_launch(K.fwd, dim3(s.bh * qBlocks), dim3(128), K.fwdShared, q.data(), k.data(), v.data(), out.data(), lse.data(), lay,
               s.bh, s.lq, s.lk, scale);
    // the backward gets the kernel's lse and D = rowsum(dout ∘ out) in fp32, as the launcher passes them
    std::vector<float> D(s.bh * s.lq);
    for (int r = 0; r < s.bh * s.lq; r++) {
        double acc = 0;
        for (int c = 0; c < d; c++) acc += (double)g[(size_t)r * d + c] * out[(size_t)r * d + c];
        D[r] = (float)acc;
    }
    FlashRef tight = flashReference(s, scale, q, k, v, g, lse, D, true, dq0, dk0, dv0);
    FlashRef loose = flashReference(s, scale, q, k, v, g, lse, D, false, dq0, dk0, dv0);
    expectWithin("flash forward out vs bf16-rounded" + tag, tight.out, out, tight.outAllow);
    expectWithin("flash forward lse vs bf16-rounded" + tag, tight.lse, lse, tight.lseAllow);
    expectWithin("flash forward out vs fp32 inputs (bf16 error)" + tag, loose.out, out, loose.outAllow);
    expectWithin("flash forward lse vs fp32 inputs (bf16 error)" + tag, loose.lse, lse, loose.lseAllow);

    auto dq = dq0, dk = dk0, dv = dv0;
    emu_launch(K.dq, dim3(s.bh * qBlocks), dim3(128), K.dqShared, q.data(), k.data(), v.data(), lse.data(), D.data(), g.data(),
               dq.data(), lay, s.bh, s.lq, s.lk, scale, 0);
    emu_launch(K.dkdv, dim3(s.bh * kBlocks), dim3(128), K.dkdvShared, q.data(), k.data(), v.data(), lse.data(), D.data(), g.data(),
               dk.data(), dv.data(), lay, s.bh, s.lq, s.lk, scale, 0);
    expectWithin("flash dq (accumulated) vs bf16-rounded" + tag, tight.dq, dq, tight.dqAllow);
    expectWithin("flash dk (accumulated) vs bf16-rounded" + tag, tight.dk, dk, tight.dkAllow);
    expectWithin("flash dv (accumulated) vs bf16-rounded" + tag, tight.dv, dv, tight.dvAllow);
    std::vector<double> gq(nq), gk(nk), gv(nk);  // the gradients alone, for the relative check
    std::vector<float> aq(nq), ak(nk), av(nk);
    for (int i = 0; i < nq; i++) { gq[i] = loose.dq[i] - dq0[i]; aq[i] = dq[i] - dq0[i]; }
    for (int i = 0; i < nk; i++) { gk[i] = loose.dk[i] - dk0[i]; ak[i] = dk[i] - dk0[i]; gv[i] = loose.dv[i] - dv0[i]; av[i] = dv[i] - dv0[i]; }
    double e1 = relFrobenius(gq, aq), e2 = relFrobenius(gk, ak), e3 = relFrobenius(gv, av);
    char buf[160];
    std::snprintf(buf, sizeof buf, "relative errors dq %.2e dk %.2e dv %.2e", e1, e2, e3);
    expectTrue("flash backward vs fp32 inputs within 2^-5 (" + std::string(buf) + ")" + tag,
               e1 <= 1.0 / 32 && e2 <= 1.0 / 32 && e3 <= 1.0 / 32);

    // dv alone (dk null): dv the same, nothing else written
    auto dvOnly = dv0;
    emu_launch(K.dkdv, dim3(s.bh * kBlocks), dim3(128), K.dkdvShared, q.data(), k.data(), v.data(), lse.data(), D.data(), g.data(),
               (float*)nullptr, dvOnly.data(), lay, s.bh, s.lq, s.lk, scale, 0);
    expectClose("flash dv alone (dk null)" + tag, toD(dv), dvOnly, 0, 0);
}

// bh = 70000 heads of one token: only the last 3 blocks of each grid run; their heads must be right and a
// head of a block not run must stay untouched.
static void checkFlashHugeBatch() {
    int bh = 70000, d = 32;
    size_t n = (size_t)bh * d;
    auto q = uniform(60, n, -1, 1), k = uniform(61, n, -1, 1), v = uniform(62, n, -1, 1);
    std::vector<float> out(n, NAN), lse(bh, NAN);
    FlashKernels K = flashKernels(d);
    emu_launch_range(K.fwd, dim3(bh), dim3(128), K.fwdShared, bh - 3, bh, q.data(), k.data(), v.data(), out.data(), lse.data(),
                     attnContiguous(bh, 1, 1, d), bh, 1, 1, 0.5f);
    size_t bad = 0;
    for (int h = bh - 3; h < bh; h++) {
        double dot = 0;
        for (int c = 0; c < d; c++) dot += (double)roundBf16(q[(size_t)h * d + c]) * roundBf16(k[(size_t)h * d + c]);
        bad += !(std::fabs(lse[h] - 0.5 * dot) <= 1e-5);                            // one key: lse = its score
        for (int c = 0; c < d; c++) bad += !(std::fabs(out[(size_t)h * d + c] - roundBf16(v[(size_t)h * d + c])) <= 1e-6);  // P = 1
    }
    bad += !std::isnan(lse[bh - 4]);
    expectTrue("flash forward bh 70000 > 65535 (grid.x decoding, last 3 blocks)", bad == 0, std::to_string(bad) + " wrong");
}

// q, k, v, dout one float off 16-byte alignment (a sliced buffer): the kernels must take the element-load path
// and give bit-identical results.
static void checkFlashMisaligned() {
    FlashCase s{2, 50, 37, 64};
    int nq = s.bh * s.lq * s.d, nk = s.bh * s.lk * s.d;
    float scale = 0.125f;
    auto q = uniform(70, nq, -1.5, 1.5), k = uniform(71, nk, -1.5, 1.5), v = uniform(72, nk, -1, 1), g = uniform(73, nq, -1, 1);
    auto shifted = [](const std::vector<float>& x) { std::vector<float> r(x.size() + 4); std::copy(x.begin(), x.end(), r.begin() + 1); return r; };
    auto qs = shifted(q), ks = shifted(k), vs = shifted(v), gs = shifted(g);
    FlashKernels K = flashKernels(s.d);
    std::vector<float> out(nq), lse(s.bh * s.lq), out2(nq), lse2(s.bh * s.lq), D(s.bh * s.lq, 0.25f);
    std::vector<float> dq(nq, 0.f), dk(nk, 0.f), dv(nk, 0.f), dq2 = dq, dk2 = dk, dv2 = dv;
    dim3 gq(s.bh * ceilDiv(s.lq, 64)), gk(s.bh * ceilDiv(s.lk, 64));
    AttnLayout lay = attnContiguous(s.bh, s.lq, s.lk, s.d);
    emu_launch(K.fwd, gq, dim3(128), K.fwdShared, q.data(), k.data(), v.data(), out.data(), lse.data(), lay, s.bh, s.lq, s.lk, scale);
    emu_launch(K.fwd, gq, dim3(128), K.fwdShared, qs.data() + 1, ks.data() + 1, vs.data() + 1, out2.data(), lse2.data(), lay, s.bh, s.lq,
               s.lk, scale);
    emu_launch(K.dq, gq, dim3(128), K.dqShared, q.data(), k.data(), v.data(), lse.data(), D.data(), g.data(), dq.data(), lay, s.bh, s.lq, s.lk,
               scale, 0);
    emu_launch(K.dq, gq, dim3(128), K.dqShared, qs.data() + 1, ks.data() + 1, vs.data() + 1, lse.data(), D.data(), gs.data() + 1,
               dq2.data(), lay, s.bh, s.lq, s.lk, scale, 0);
    emu_launch(K.dkdv, gk, dim3(128), K.dkdvShared, q.data(), k.data(), v.data(), lse.data(), D.data(), g.data(), dk.data(), dv.data(), lay,
               s.bh, s.lq, s.lk, scale, 0);
    emu_launch(K.dkdv, gk, dim3(128), K.dkdvShared, qs.data() + 1, ks.data() + 1, vs.data() + 1, lse.data(), D.data(), gs.data() + 1,
               dk2.data(), dv2.data(), lay, s.bh, s.lq, s.lk, scale, 0);
    bool same = out == out2 && lse == lse2 && dq == dq2 && dk == dk2 && dv == dv2;
    expectTrue("flash kernels on buffers off 16-byte alignment (element loads) = aligned (cp.async), bit for bit", same);
}

// The flash kernels over a packed qkv [n, t, 3D] and token-major cross-attention [n, L, D]: the same tiles in the
// same order as on dense heads, so each result must equal, bit for bit, the dense run on gathered copies (which
// checkFlashCase holds to the double loops); gradients are overwritten into NaN (a missed element fails) while the
// dense run accumulates into zeros (0 + x = x exactly). Then the strided results against the double loops over the
// layout (relative Frobenius error ≤ 2⁻⁵, the loose bound above).
static void checkFlashLayoutCase(bool packed, int n, int heads, int lq, int lk, int d) {
    int dim = heads * d, bh = n * heads;
    AttnLayout lay = packed ? attnPackedQkv(n, lq, heads, d) : attnTokenMajor(n, heads, lq, lk, d);
    AttnLayout dense = attnContiguous(bh, lq, lk, d);
    size_t nq = (size_t)n * lq * (packed ? 3 * dim : dim), nk = packed ? nq : (size_t)n * lk * dim, no = (size_t)n * lq * dim;
    float scale = 1 / std::sqrt((float)d);
    auto q = uniform(90, nq, -1.5, 1.5), k = uniform(91, nk, -1.5, 1.5), v = uniform(92, nk, -1, 1), g = uniform(93, no, -1, 1);
    const std::vector<float>& kk = packed ? q : k;
    const std::vector<float>& vv = packed ? q : v;
    // strided <-> dense [bh, rows, d]
    auto gather = [&](const std::vector<float>& src, const AttnOperand& o, int rows) {
        std::vector<float> r((size_t)bh * rows * d);
        for (int h = 0; h < bh; h++)
            for (int t = 0; t < rows; t++)
                for (int c = 0; c < d; c++) r[((size_t)h * rows + t) * d + c] = src[attn_row(o, heads, h, t) + c];
        return r;
    };
    auto qd = gather(q, lay.q, lq), kd = gather(kk, lay.k, lk), vd = gather(vv, lay.v, lk), gd = gather(g, lay.o, lq);
    FlashKernels K = flashKernels(d);
    dim3 gq(bh * ceilDiv(lq, 64)), gk(bh * ceilDiv(lk, 64));
    std::string tag = std::string(packed ? " packed qkv" : " token-major") + " d" + std::to_string(d) + " [n " + std::to_string(n) +
                      " h " + std::to_string(heads) + " lq " + std::to_string(lq) + " lk " + std::to_string(lk) + "]";

    std::vector<float> outD((size_t)bh * lq * d), lseD((size_t)bh * lq), out(no, NAN), lse((size_t)bh * lq, NAN);
    emu_launch(K.fwd, gq, dim3(128), K.fwdShared, qd.data(), kd.data(), vd.data(), outD.data(), lseD.data(), dense, bh, lq, lk, scale);
    emu_launch(K.fwd, gq, dim3(128), K.fwdShared, q.data(), kk.data(), vv.data(), out.data(), lse.data(), lay, bh, lq, lk, scale);
    expectTrue("flash forward" + tag + " = dense heads, bit for bit", gather(out, lay.o, lq) == outD && lse == lseD);

    std::vector<float> D((size_t)bh * lq);
    for (int r = 0; r < bh * lq; r++) {
        double acc = 0;
        for (int c = 0; c < d; c++) acc += (double)gd[(size_t)r * d + c] * outD[(size_t)r * d + c];
        D[r] = (float)acc;
    }
    std::vector<float> dqD(qd.size(), 0.f), dkD(kd.size(), 0.f), dvD(vd.size(), 0.f);
    emu_launch(K.dq, gq, dim3(128), K.dqShared, qd.data(), kd.data(), vd.data(), lseD.data(), D.data(), gd.data(), dqD.data(), dense, bh, lq,
               lk, scale, 0);
    emu_launch(K.dkdv, gk, dim3(128), K.dkdvShared, qd.data(), kd.data(), vd.data(), lseD.data(), D.data(), gd.data(), dkD.data(),
               dvD.data(), dense, bh, lq, lk, scale, 0);
    std::vector<float> dq(nq, NAN), dk(nk, NAN), dv(nk, NAN);
    float* pk = packed ? dq.data() : dk.data();
    float* pv = packed ? dq.data() : dv.data();
    emu_launch(K.dq, gq, dim3(128), K.dqShared, q.data(), kk.data(), vv.data(), lseD.data(), D.data(), g.data(), dq.data(), lay, bh, lq, lk,
               scale, 1);
    emu_launch(K.dkdv, gk, dim3(128), K.dkdvShared, q.data(), kk.data(), vv.data(), lseD.data(), D.data(), g.data(), pk, pv, lay, bh,
               lq, lk, scale, 1);
    const std::vector<float>& dkS = packed ? dq : dk;
    const std::vector<float>& dvS = packed ? dq : dv;
    bool same = gather(dq, lay.q, lq) == dqD && gather(dkS, lay.k, lk) == dkD && gather(dvS, lay.v, lk) == dvD;
    size_t nan = 0;
    for (float x : dq) nan += std::isnan(x);
    if (!packed) {  // packed: dk and dv live inside dq
        for (float x : dk) nan += std::isnan(x);
        for (float x : dv) nan += std::isnan(x);
    }
    expectTrue("flash backward overwrite" + tag + " = dense heads accumulated from 0, bit for bit; every element written",
               same && nan == 0, std::to_string(nan) + " elements never written");

    std::vector<double> eo(no), el((size_t)bh * lq), eq(nq, 0.0), ek(nk, 0.0), ev(nk, 0.0);
    attnReferenceOverLayout(lay, bh, lq, lk, d, scale, q, kk, vv, g, eo, el, eq, packed ? eq : ek, packed ? eq : ev);
    double e0 = relFrobenius(eo, out), e1 = relFrobenius(eq, dq), e2 = packed ? 0 : relFrobenius(ek, dk), e3 = packed ? 0 : relFrobenius(ev, dv);
    char buf[160];
    if (packed) std::snprintf(buf, sizeof buf, "relative errors out %.2e d(qkv) %.2e", e0, e1);
    else std::snprintf(buf, sizeof buf, "relative errors out %.2e dq %.2e dk %.2e dv %.2e", e0, e1, e2, e3);
    expectTrue("flash" + tag + " vs double loops within 2^-5 (" + std::string(buf) + ")",
               e0 <= 1.0 / 32 && e1 <= 1.0 / 32 && e2 <= 1.0 / 32 && e3 <= 1.0 / 32);
}

static void checkFlash(bool full) {
    checkFlashMisaligned();
    std::vector<FlashCase> cases = {{1, 1, 1, 32},   {2, 50, 50, 64},   {1, 197, 197, 32}, {1, 98, 196, 64},
                                    {1, 37, 70, 128}, {1, 65, 3, 32},   {1, 50, 50, 128}};
    if (full) {
        cases.push_back({2, 197, 197, 64});
        cases.push_back({1, 197, 197, 128});
        cases.push_back({3, 50, 50, 32});
    }
    for (const FlashCase& s : cases) checkFlashCase(s);
    checkFlashHugeBatch();
    checkFlashLayoutCase(true, 2, 2, 50, 50, 64);    // MAE-B encoder tokens
    checkFlashLayoutCase(true, 1, 2, 37, 37, 128);
    checkFlashLayoutCase(false, 2, 2, 37, 70, 32);   // cross-attention, lq ≠ lk, tails of every tile
}
