// emu_tc_checks.h — the emulated tensor-core instructions (tensor_core_emu.h) checked one by one against their
// PTX ISA definitions: roundings against references computed another way, mma.sync on hand-made fragments
// (every lane, register and half: one-hot matrices light up each element alone), ldmatrix with scattered row
// addresses, ldmatrix feeding mma through the tile helpers of mma_tiles.cuh in every stored layout, and
// cp.async's group semantics (nothing lands before its wait_group; src-size zero-fills).
#pragma once
#include "emu_check.h"
#include "mma_tiles.cuh"

// ------------------------------------------------------------------------------------------------ roundings
// References by exact comparison of the two neighbours (truncation and one ulp up), not by bit tricks.
static uint32_t refRound(float x, int dropBits, bool tiesAway) {
    uint32_t u = __float_as_uint(x), mask = (1u << dropBits) - 1;
    if (std::isinf(x)) return u;
    uint32_t lo = u & ~mask, hi = lo + (1u << dropBits);
    auto val = [](uint32_t bits) {  // +/-inf stands for 2^128: rounding overflows to it past MAX + ulp/2
        return (bits & 0x7fffffffu) == 0x7f800000u ? std::copysign(std::ldexp(1.0, 128), __uint_as_float(bits))
                                                   : (double)__uint_as_float(bits);
    };
    double dl = std::fabs((double)x - val(lo)), dh = std::fabs(val(hi) - (double)x);
    if (dl < dh) return lo;
    if (dh < dl) return hi;
    return tiesAway ? hi : (((lo >> dropBits) & 1) ? hi : lo);
}

static void checkRoundings() {
    std::mt19937 gen(7);
    std::vector<float> xs = {1.0f, -1.0f, 0.0f, -0.0f, INFINITY, -INFINITY, 3.3895314e38f, -3.3895314e38f,
                             __uint_as_float(0x3f808000u), __uint_as_float(0x3f818000u), __uint_as_float(0x3f808001u),
                             __uint_as_float(0x00000001u), __uint_as_float(0x807fffffu), __uint_as_float(0x7f7fffffu),
                             __uint_as_float(0x3f801000u), __uint_as_float(0x3f803000u), __uint_as_float(0xbf801000u)};
    for (int i = 0; i < 200000; i++) {
        uint32_t u = gen();
        if ((u & 0x7f800000u) == 0x7f800000u) continue;  // NaN/inf patterns handled above
        xs.push_back(__uint_as_float(u));
    }
    size_t badB = 0, badT = 0;
    for (float x : xs) {
        badB += tc_bf16(x) != (bf16_t)(refRound(x, 16, false) >> 16);
        badT += tc_tf32(x) != refRound(x, 13, true);
    }
    bool nan = tc_bf16(NAN) == 0x7fff && std::isnan(__uint_as_float(tc_tf32(NAN)));
    bool pack = tc_pack_bf16(1.0f, -2.0f) == (0x3f80u | (0xc000u << 16));
    expectTrue("cvt.rn.bf16 = round-to-nearest-even (" + std::to_string(xs.size()) + " values)", badB == 0 && nan,
               std::to_string(badB) + " differ");
    expectTrue("cvt.rna.tf32 = round-to-nearest ties-away (" + std::to_string(xs.size()) + " values)", badT == 0,
               std::to_string(badT) + " differ");
    expectTrue("cvt.rn.bf16x2 packs the first operand low", pack);
}

// ------------------------------------------------------------------------------------------------ mma.sync
// One warp builds its fragments from row-major A, B, C in global memory with the PTX ISA's FORWARD layouts
// (lane, register, half → row, column), multiplies, and writes D back the same way.
__global__ void tc_check_mma_bf16(const float* A, const float* B, const float* C, float* D) {
    int lane = threadIdx.x, g = lane >> 2, t = lane & 3;
    uint32_t a[4] = {0, 0, 0, 0}, b[2] = {0, 0};
    float d[4];
    for (int i = 0; i < 8; i++) {  // a_i: row g (+8 for i = 2,3,6,7), column 2t + (i & 1) (+8 for i ≥ 4)
        int row = g + ((i < 2 || (i >= 4 && i < 6)) ? 0 : 8), col = 2 * t + (i & 1) + (i >= 4 ? 8 : 0);
        a[i / 2] |= (uint32_t)tc_bf16(A[row * 16 + col]) << (16 * (i & 1));
    }
    for (int i = 0; i < 4; i++) {  // b_i: row 2t + (i & 1) (+8 for i ≥ 2), column g
        int row = 2 * t + (i & 1) + (i >= 2 ? 8 : 0);
        b[i / 2] |= (uint32_t)tc_bf16(B[row * 8 + g]) << (16 * (i & 1));
    }
    for (int i = 0; i < 4; i++) d[i] = C[(g + (i >= 2 ? 8 : 0)) * 8 + 2 * t + (i & 1)];
    tc_mma_bf16(d, a, b);
    for (int i = 0; i < 4; i++) D[(g + (i >= 2 ? 8 : 0)) * 8 + 2 * t + (i & 1)] = d[i];
}

__global__ void tc_check_mma_tf32(const float* A, const float* B, const float* C, float* D) {
    int lane = threadIdx.x, g = lane >> 2, t = lane & 3;
    uint32_t a[4], b[2];
    float d[4];
    for (int i = 0; i < 4; i++) a[i] = tc_tf32(A[(g + (i & 1) * 8) * 8 + t + (i >= 2 ? 4 : 0)]);  // a0 (g,t) a1 (g+8,t) a2 (g,t+4)
    for (int i = 0; i < 2; i++) b[i] = tc_tf32(B[(t + 4 * i) * 8 + g]);                          // b0 (t,g) b1 (t+4,g)
    for (int i = 0; i < 4; i++) d[i] = C[(g + (i >= 2 ? 8 : 0)) * 8 + 2 * t + (i & 1)];
    tc_mma_tf32(d, a, b);
    for (int i = 0; i < 4; i++) D[(g + (i >= 2 ? 8 : 0)) * 8 + 2 * t + (i & 1)] = d[i];
}

static std::vector<double> refProduct(const std::vector<float>& A, const std::vector<float>& B, const std::vector<float>& C,
                                      int K, float (*round)(float)) {
    std::vector<double> D(128);
    for (int r = 0; r < 16; r++)
        for (int c = 0; c < 8; c++) {
            double acc = C[r * 8 + c];
            for (int k = 0; k < K; k++) acc += (double)round(A[r * K + k]) * round(B[k * 8 + c]);
            D[r * 8 + c] = acc;
        }
    return D;
}

static float roundBf16(float x) { return __uint_as_float((uint32_t)tc_bf16(x) << 16); }
static float roundTf32(float x) { return __uint_as_float(tc_tf32(x)); }

static void checkMma() {
    for (int tf32 = 0; tf32 < 2; tf32++) {
        int K = tf32 ? 8 : 16;
        auto kernel = tf32 ? tc_check_mma_tf32 : tc_check_mma_bf16;
        auto round = tf32 ? roundTf32 : roundBf16;
        std::string name = tf32 ? "mma.m16n8k8.tf32" : "mma.m16n8k16.bf16";
        for (unsigned seed = 0; seed < 3; seed++) {  // random fragments; C accumulates
            auto A = uniform(100 + seed, 16 * K, -2, 2), B = uniform(200 + seed, K * 8, -2, 2), C = uniform(300 + seed, 128, -1, 1);
            std::vector<float> D(128);
            emu_launch(kernel, dim3(1), dim3(32), 0, A.data(), B.data(), C.data(), D.data());
            expectClose(name + " random seed " + std::to_string(seed), refProduct(A, B, C, K, round), D, 1e-6, 1e-6);
        }
        // one-hot A: element (r, k) alone must reach exactly row r of D, with B's row k — each lane, register, half
        size_t bad = 0;
        auto B = uniform(400, K * 8, -2, 2), C0 = std::vector<float>(128, 0.0f);
        for (int e = 0; e < 16 * K; e++) {
            std::vector<float> A(16 * K, 0.0f), D(128);
            A[e] = 1.0f;
            emu_launch(kernel, dim3(1), dim3(32), 0, A.data(), B.data(), C0.data(), D.data());
            auto ref = refProduct(A, B, C0, K, round);
            for (int i = 0; i < 128; i++) bad += D[i] != (float)ref[i];
        }
        auto A = uniform(401, 16 * K, -2, 2);
        for (int e = 0; e < K * 8; e++) {  // one-hot B
            std::vector<float> Bh(K * 8, 0.0f), D(128);
            Bh[e] = 1.0f;
            emu_launch(kernel, dim3(1), dim3(32), 0, A.data(), Bh.data(), C0.data(), D.data());
            auto ref = refProduct(A, Bh, C0, K, round);
            for (int i = 0; i < 128; i++) bad += D[i] != (float)ref[i];
        }
        expectTrue(name + " one-hot A and B: every element reaches exactly its outputs", bad == 0,
                   std::to_string(bad) + " outputs differ");
    }
}

// ------------------------------------------------------------------------------------------------ ldmatrix
// Shared memory holds 32 rows of 64 b16 values v(row, col) = row·64 + col; lane l points at a scattered row
// (and chunk) for row l % 8 of matrix l / 8.
template <int N, bool TRANS>
__global__ void tc_check_ldmatrix(uint32_t* out, int* rowOf, int* colOf) {
    uint16_t* s = reinterpret_cast<uint16_t*>(emu_dynamic_shared());
    for (int e = threadIdx.x; e < 32 * 64; e += 32) s[e] = (uint16_t)e;
    __syncthreads();
    int l = threadIdx.x, row = (l * 11 + 5) % 32, col = 8 * ((l * 3) % 8);
    rowOf[l] = row;
    colOf[l] = col;
    uint32_t r[N];
    tc_ldmatrix<N, TRANS>(r, s + row * 64 + col);
    for (int m = 0; m < N; m++) out[l * 4 + m] = r[m];
}

template <int N, bool TRANS>
static void checkLdmatrixCase() {
    std::vector<uint32_t> out(128, 0xdeadbeef);
    std::vector<int> rowOf(32), colOf(32);
    emu_launch(tc_check_ldmatrix<N, TRANS>, dim3(1), dim3(32), 32 * 64 * 2, out.data(), rowOf.data(), colOf.data());
    size_t bad = 0;
    auto v = [&](int addrLane, int c) { return (uint32_t)(rowOf[addrLane] * 64 + colOf[addrLane] + c); };
    for (int l = 0; l < 32; l++)
        for (int m = 0; m < N; m++) {
            uint32_t lo, hi;
            if (!TRANS) {  // PTX: a group of four lanes loads a row; lane l gets row l/4, elements 2(l%4), 2(l%4)+1
                lo = v(8 * m + l / 4, 2 * (l % 4));
                hi = v(8 * m + l / 4, 2 * (l % 4) + 1);
            } else {       // column-major: lane l gets column l/4 of rows 2(l%4) and 2(l%4)+1
                lo = v(8 * m + 2 * (l % 4), l / 4);
                hi = v(8 * m + 2 * (l % 4) + 1, l / 4);
            }
            bad += out[l * 4 + m] != (lo | (hi << 16));
        }
    expectTrue("ldmatrix.m8n8.x" + std::to_string(N) + (TRANS ? ".trans" : "") + " scattered rows", bad == 0,
               std::to_string(bad) + " registers differ");
}

// ldmatrix → mma through mma_frag_a / mma_frag_b2 from swizzled tiles in both stored layouts of A and B:
// C[16×16] = A[16×16]·B[16×16] (two n8 tiles).
template <bool AK, bool BK>
__global__ void tc_check_frag(const float* A, const float* B, float* C) {
    bf16_t* ta = reinterpret_cast<bf16_t*>(emu_dynamic_shared());
    bf16_t* tb = ta + 256;
    for (int e = threadIdx.x; e < 256; e += 32) {
        int i = e / 16, j = e % 16;  // A(i, j) row i = m, col j = k;  B(i, j) row i = k, col j = n
        ta[AK ? mma_tile_offset<16>(i, j) : mma_tile_offset<16>(j, i)] = tc_bf16(A[e]);
        tb[BK ? mma_tile_offset<16>(j, i) : mma_tile_offset<16>(i, j)] = tc_bf16(B[e]);
    }
    __syncthreads();
    uint32_t a[4], b[4];
    mma_frag_a<16, AK>(a, ta, 0, 0);
    mma_frag_b2<16, BK>(b, tb, 0, 0);
    float d0[4] = {0, 0, 0, 0}, d1[4] = {0, 0, 0, 0};
    uint32_t b0[2] = {b[0], b[1]}, b1[2] = {b[2], b[3]};
    tc_mma_bf16(d0, a, b0);
    tc_mma_bf16(d1, a, b1);
    int g = threadIdx.x >> 2, t = threadIdx.x & 3;
    for (int i = 0; i < 4; i++) {
        int r = g + (i >= 2 ? 8 : 0), c = 2 * t + (i & 1);
        C[r * 16 + c] = d0[i];
        C[r * 16 + 8 + c] = d1[i];
    }
}

template <bool AK, bool BK>
static void checkFragCase() {
    auto A = uniform(500, 256, -2, 2), B = uniform(501, 256, -2, 2);
    std::vector<float> C(256);
    emu_launch(tc_check_frag<AK, BK>, dim3(1), dim3(32), 1024, A.data(), B.data(), C.data());
    std::vector<double> e(256, 0.0);
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            for (int k = 0; k < 16; k++) e[i * 16 + j] += (double)roundBf16(A[i * 16 + k]) * roundBf16(B[k * 16 + j]);
    expectClose(std::string("ldmatrix->mma A ") + (AK ? "[m][k]" : "[k][m]") + " B " + (BK ? "[n][k]" : "[k][n]") +
                " swizzled", e, C, 1e-6, 1e-6);
}

// ------------------------------------------------------------------------------------------------ cp.async
// Lane l copies src[4l..4l+3] (group 1) and 4·(l % 5) bytes of src[128+4l..] (group 2, zero-filled); it reads
// its own destinations before any wait, after wait_group 1 and after wait_group 0.
__global__ void tc_check_cp_async(const float* src, float* seen) {
    float* s = emu_dynamic_shared();
    int l = threadIdx.x;
    for (int q = 0; q < 4; q++) s[4 * l + q] = s[128 + 4 * l + q] = -1.0f;
    tc_cp_async_16(s + 4 * l, src + 4 * l, 16);
    tc_cp_async_commit();
    tc_cp_async_16(s + 128 + 4 * l, src + 128 + 4 * l, 4 * (l % 5));
    tc_cp_async_commit();
    seen[l * 6 + 0] = s[4 * l];
    seen[l * 6 + 1] = s[128 + 4 * l];
    tc_cp_async_wait<1>();
    seen[l * 6 + 2] = s[4 * l + 3];
    seen[l * 6 + 3] = s[128 + 4 * l];
    tc_cp_async_wait<0>();
    seen[l * 6 + 4] = s[128 + 4 * l];
    seen[l * 6 + 5] = s[128 + 4 * l + 3];
}

static void checkCpAsync() {
    auto src = uniform(600, 256, 1, 2);
    std::vector<float> seen(32 * 6);
    emu_launch(tc_check_cp_async, dim3(1), dim3(32), 256 * 4, src.data(), seen.data());
    size_t bad = 0;
    for (int l = 0; l < 32; l++) {
        int n = l % 5;  // floats copied in group 2
        bad += seen[l * 6 + 0] != -1.0f || seen[l * 6 + 1] != -1.0f;            // nothing before a wait
        bad += seen[l * 6 + 2] != src[4 * l + 3] || seen[l * 6 + 3] != -1.0f;   // wait_group 1: only group 1
        bad += seen[l * 6 + 4] != (n > 0 ? src[128 + 4 * l] : 0.0f);           // wait_group 0: group 2, zero-filled
        bad += seen[l * 6 + 5] != (n > 3 ? src[128 + 4 * l + 3] : 0.0f);
    }
    expectTrue("cp.async lands only at wait_group N, src-size zero-fills", bad == 0, std::to_string(bad) + " wrong");
}

static void checkTensorCoreInstructions() {
    checkRoundings();
    checkMma();
    checkLdmatrixCase<1, false>();
    checkLdmatrixCase<2, false>();
    checkLdmatrixCase<4, false>();
    checkLdmatrixCase<1, true>();
    checkLdmatrixCase<2, true>();
    checkLdmatrixCase<4, true>();
    checkFragCase<true, true>();
    checkFragCase<true, false>();
    checkFragCase<false, true>();
    checkFragCase<false, false>();
    checkCpAsync();
}
