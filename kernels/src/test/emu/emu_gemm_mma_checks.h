// emu_gemm_mma_checks.h — gemm_mma.cu (bf16 with both storages, tf32; all four layouts) against
// double-precision loops (the tf32 rung: the same two references with tf32 rounding, 16 → 8 per mma step).
// Two references per product:
//   tight: the product of the bf16-ROUNDED inputs in double; the kernel differs only by fp32 accumulation,
//          so each output may be off by (k/16 + 2)·2⁻²³ of its sum of |terms| (one fp32 rounding per 16-deep
//          mma step, a few in the epilogue) — a wrong element anywhere shows as an error of a whole term;
//   loose: the product of the UNROUNDED fp32 inputs: rounding a and b to bf16 (unit roundoff u = 2⁻⁸) makes
//          each term off by at most (2u + u²)·|a·b|, so outputs may be off by 2⁻⁷·Σ|a·b| (worst case; the
//          typical error of random inputs is ~2⁻⁸·√k·rms(a·b)).
// Shapes: tails in m, n and k (k odd: the unaligned element-load path), k = 0, batched with a shared B (batch
// stride 0), alpha ≠ 1 with beta = 1, beta = 0 over NaN, a ViT-B-like product (scaled down where the
// emulator is slow; --full runs 394×768×768 and 394×3072×768), and batch 65537 > grid.z's 65535 (blocks z =
// 0, 1, 65534 only: the grid-stride loop over the batch).
#pragma once
#include "emu_check.h"

struct GemmCase { int batch, m, n, k; bool sharedB; float alpha, beta; };

static std::vector<bf16_t> toBf16(const std::vector<float>& v) {
    std::vector<bf16_t> r(v.size());
    for (size_t i = 0; i < v.size(); i++) r[i] = tc_bf16(v[i]);
    return r;
}

// e = alpha·op(A)·op(B) + beta·C0 in double (A, B rounded to bf16 when `rounded`), and the allowance.
// `rounded`: 0 = fp32 inputs as they are, 1 = rounded to bf16, 2 = rounded to tf32 (cvt.rna). The allowance
// per |term|: fp32 accumulation over k/16 (bf16) or k/8 (tf32) mma steps; against unrounded inputs also the
// bf16 input error 2⁻⁷ (or, for tf32 with unit roundoff 2⁻¹¹, 2⁻¹⁰; `tf32Loose`).
static void gemmReference(const GemmCase& s, int ta, int tb, const std::vector<float>& A, const std::vector<float>& B,
                          const std::vector<float>& C0, int rounded, std::vector<double>& e, std::vector<double>& allow,
                          bool tf32Loose = false) {
    int aStride = s.m * s.k, bStride = s.sharedB ? 0 : s.k * s.n;
    e.assign(C0.size(), 0.0);
    allow.assign(C0.size(), 0.0);
    auto r = [&](float x) { return rounded == 1 ? (double)roundBf16(x) : rounded == 2 ? (double)roundTf32(x) : (double)x; };
    int steps = rounded == 2 || tf32Loose ? s.k / 8 + 2 : s.k / 16 + 2;
    double perTerm = steps * std::ldexp(1.0, -23) + (rounded ? 0 : std::ldexp(1.0, tf32Loose ? -10 : -7));
    for (int b = 0; b < s.batch; b++)
        for (int i = 0; i < s.m; i++)
            for (int j = 0; j < s.n; j++) {
                double acc = 0, mag = 0;
                for (int p = 0; p < s.k; p++) {
                    double av = r(ta ? A[(size_t)b * aStride + p * s.m + i] : A[(size_t)b * aStride + i * s.k + p]);
                    double bv = r(tb ? B[(size_t)b * bStride + j * s.k + p] : B[(size_t)b * bStride + p * s.n + j]);
                    acc += av * bv;
                    mag += std::fabs(av * bv);
                }
                size_t o = ((size_t)b * s.m + i) * s.n + j;
                double c = s.beta == 0 ? 0 : s.beta * C0[o];
                e[o] = c + s.alpha * acc;
                allow[o] = 1e-7 + perTerm * std::fabs(s.alpha) * mag + 1e-7 * std::fabs(c);
            }
}

template <class T>
static void runGemmMma(void (*kernel)(int, int, int, int, float, const T*, int, const T*, int, float, float*), const GemmCase& s,
                       const T* A, const T* B, std::vector<float>& C, int bt, size_t smem, long first = 0, long last = -1) {
    int aStride = s.m * s.k, bStride = s.sharedB ? 0 : s.k * s.n;
    dim3 grid(ceilDiv(s.n, 128), ceilDiv(s.m, 128), std::min(s.batch, 65535));
    emu_launch_range(kernel, grid, dim3(256), smem, first, last, s.batch, s.m, s.n, s.k, s.alpha, A, aStride, B, bStride, s.beta,
                     C.data());
}

typedef void (*GemmF32)(int, int, int, int, float, const float*, int, const float*, int, float, float*);
typedef void (*GemmB16)(int, int, int, int, float, const bf16_t*, int, const bf16_t*, int, float, float*);
static const GemmF32 gemmMmaF32[4] = {gemm_mma_bf16_nn, gemm_mma_bf16_nt, gemm_mma_bf16_tn, gemm_mma_bf16_tt};
static const GemmB16 gemmMmaB16[4] = {gemm_mma_bf16in_nn, gemm_mma_bf16in_nt, gemm_mma_bf16in_tn, gemm_mma_bf16in_tt};
static const GemmF32 gemmMmaTf32[4] = {gemm_mma_tf32_nn, gemm_mma_tf32_nt, gemm_mma_tf32_tn, gemm_mma_tf32_tt};
static const size_t GEMM_MMA_SMEM_TF32[4] = {
    GemmMma<float, 16, 4, false, false, true>::SHARED_BYTES, GemmMma<float, 16, 4, false, true, true>::SHARED_BYTES,
    GemmMma<float, 16, 4, true, false, true>::SHARED_BYTES, GemmMma<float, 16, 4, true, true, true>::SHARED_BYTES};
static const size_t GEMM_MMA_SMEM_F32 = GemmMma<float, 16, 4, false, false>::SHARED_BYTES;
static const size_t GEMM_MMA_SMEM_B16 = GemmMma<bf16_t, 32, 4, false, false>::SHARED_BYTES;

static void checkGemmMmaCase(const GemmCase& s, bool loose) {
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            auto A = uniform(20, std::max(1, s.batch * s.m * s.k), -1, 1);
            auto B = uniform(21, std::max(1, s.sharedB ? s.k * s.n : s.batch * s.k * s.n), -1, 1);
            auto C0 = uniform(22, (size_t)s.batch * s.m * s.n, -1, 1);
            if (s.beta == 0) for (auto& c : C0) c = NAN;
            std::vector<double> e, allow, eu, allowU;
            gemmReference(s, ta, tb, A, B, C0, 1, e, allow);
            if (loose) gemmReference(s, ta, tb, A, B, C0, 0, eu, allowU);
            std::string tag = std::string(" ") + (ta ? "t" : "n") + (tb ? "t" : "n") + " [" + std::to_string(s.batch) + "," +
                              std::to_string(s.m) + "," + std::to_string(s.n) + "," + std::to_string(s.k) + "]" +
                              (s.sharedB ? " sharedB" : "");
            auto C = C0;
            runGemmMma(gemmMmaF32[2 * ta + tb], s, A.data(), B.data(), C, 0, GEMM_MMA_SMEM_F32);
            expectWithin("gemm_mma_bf16 vs bf16-rounded" + tag, e, C, allow);
            if (loose) expectWithin("gemm_mma_bf16 vs fp32 inputs (bf16 error)" + tag, eu, C, allowU);
            auto Ab = toBf16(A), Bb = toBf16(B);
            C = C0;
            runGemmMma(gemmMmaB16[2 * ta + tb], s, Ab.data(), Bb.data(), C, 0, GEMM_MMA_SMEM_B16);
            expectWithin("gemm_mma_bf16in vs bf16-rounded" + tag, e, C, allow);
            std::vector<double> et, allowT;
            gemmReference(s, ta, tb, A, B, C0, 2, et, allowT);
            C = C0;
            runGemmMma(gemmMmaTf32[2 * ta + tb], s, A.data(), B.data(), C, 0, GEMM_MMA_SMEM_TF32[2 * ta + tb]);
            expectWithin("gemm_mma_tf32 vs tf32-rounded" + tag, et, C, allowT);
            if (loose) {
                gemmReference(s, ta, tb, A, B, C0, 0, eu, allowU, true);
                expectWithin("gemm_mma_tf32 vs fp32 inputs (tf32 error)" + tag, eu, C, allowU);
            }
        }
}

// batch 65537 over grid.z = 65535: only blocks z = 0, 1 and 65534 run; z = 0 and 1 must also do batches
// 65535 and 65536, and the batches of the blocks not run must stay untouched (NaN).
static void checkGemmMmaHugeBatch() {
    GemmCase s{65537, 8, 8, 8, false, 1, 0};
    auto A = uniform(30, (size_t)s.batch * 64, -1, 1), B = uniform(31, (size_t)s.batch * 64, -1, 1);
    std::vector<float> C((size_t)s.batch * 64, NAN);
    runGemmMma(gemmMmaF32[0], s, A.data(), B.data(), C, 0, GEMM_MMA_SMEM_F32, 0, 2);
    runGemmMma(gemmMmaF32[0], s, A.data(), B.data(), C, 0, GEMM_MMA_SMEM_F32, 65534, 65535);
    size_t bad = 0;
    for (int b : {0, 1, 65534, 65535, 65536})
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++) {
                double acc = 0;
                for (int p = 0; p < 8; p++) acc += (double)roundBf16(A[(size_t)b * 64 + i * 8 + p]) * roundBf16(B[(size_t)b * 64 + p * 8 + j]);
                bad += !(std::fabs(C[(size_t)b * 64 + i * 8 + j] - acc) <= 1e-5);
            }
    for (int b : {2, 65533}) bad += !std::isnan(C[(size_t)b * 64]);
    expectTrue("gemm_mma_bf16 batch 65537 over grid.z 65535 (blocks z = 0, 1, 65534)", bad == 0, std::to_string(bad) + " wrong");
}

static void checkGemmMma(bool full) {
    std::vector<GemmCase> cases = {{1, 1, 1, 1, false, 1, 0},      {1, 65, 33, 17, false, 1, 0},  {2, 130, 129, 40, true, 0.5f, 1},
                                   {1, 7, 5, 0, false, 1, 0.5f},   {1, 136, 72, 96, false, 1, 0}, {1, 200, 136, 264, false, 1, 1}};
    for (const GemmCase& s : cases) checkGemmMmaCase(s, s.m == 200);
    checkGemmMmaHugeBatch();
    if (full) {  // ViT-B/16 encoder at two images: qkv-like 394×768×768 and fc1 394×3072×768
        checkGemmMmaCase({1, 394, 768, 768, false, 1, 0}, true);
        checkGemmMmaCase({1, 394, 3072, 768, false, 1, 0}, true);
    }
}
