// tensor_core_emu.h — the CPU emulation of tensor_core.cuh's instructions for the fiber emulator (cuda_emu.h),
// written from the PTX ISA's definitions, so a kernel that uses the wrong lane, register, half or matrix
// order gets wrong numbers here exactly as it would on a GPU:
//   * mma.sync: every lane deposits its A, B and C registers in the warp's exchange slots; after the warp
//     barrier each lane computes its own four outputs, locating each A/B element through the INVERSE of the
//     fragment layout (element → lane, register, half). emu_tc_test.cpp builds fragments with the FORWARD
//     layout (lane, register → element) of the PTX ISA and compares with a plain matrix product, so the two
//     directions check each other. Products are exact, the k products and C are summed in double and
//     rounded once to fp32 (hardware adds in an unspecified order with fp32-or-better intermediates, so
//     results agree to a few fp32 ulps of the sum of magnitudes — inside every tolerance used).
//   * ldmatrix: lanes deposit their row addresses; each lane gathers its 32-bit fragment of every matrix.
//     Addresses must be 16-byte aligned and inside the block's dynamic shared memory, else the emulator
//     stops with the thread's name.
//   * cp.async: copies are recorded per thread and written only when cp.async.wait_group retires their
//     group (a kernel that reads before waiting reads stale data); a copy's source must be 16-byte aligned.
//   * cvt.rn.bf16 (round to nearest even; NaN → 0x7fff) and cvt.rna.tf32 (ties away from zero).
#pragma once
#include "cuda_emu.h"

inline bool emu_in_shared(const void* p, size_t bytes) {
    const char* c = static_cast<const char*>(p);
    return c >= emu_dyn_shared && c + bytes <= emu_dyn_shared + emu_dyn_shared_size;
}

inline bf16_t tc_bf16(float x) {
    uint32_t u = __float_as_uint(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fff;   // NaN
    u += 0x7fffu + ((u >> 16) & 1u);                      // round half to even on the dropped 16 bits
    return (bf16_t)(u >> 16);
}

inline uint32_t tc_pack_bf16(float lo, float hi) { return tc_bf16(lo) | ((uint32_t)tc_bf16(hi) << 16); }

inline uint32_t tc_tf32(float x) {
    uint32_t u = __float_as_uint(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fffffffu;
    return (u + 0x1000u) & 0xffffe000u;                   // half an ulp of a 10-bit mantissa, ties away
}

// The warp rendezvous of the tensor-core instructions: deposits `n` words, returns the slot set to read.
inline uint32_t (*emu_deposit(const uint32_t* words, int n))[16] {
    EmuFiber& f = emu_self();
    auto& s = emu_slots();
    int set = f.collective;
    f.collective ^= 1;
    std::memcpy(s.u[set][f.lane], words, 4 * n);
    emu_arrive_and_wait(emu_block->warpBar[f.warp]);
    return s.u[set];
}

inline float emu_bf16_at(uint32_t reg, int half) { return __uint_as_float(((reg >> (16 * half)) & 0xffffu) << 16); }

inline void tc_mma_bf16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    uint32_t w[6] = {a[0], a[1], a[2], a[3], b[0], b[1]};
    uint32_t (*s)[16] = emu_deposit(w, 6);
    int g = emu_lane() >> 2, t = emu_lane() & 3;
    for (int i = 0; i < 4; i++) {
        int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
        double acc = d[i];
        for (int k = 0; k < 16; k++) {
            // A(row, k): lane (row % 8)·4 + (k % 8)/2, register (row ≥ 8) + 2·(k ≥ 8), half k % 2
            float av = emu_bf16_at(s[(row & 7) * 4 + ((k & 7) >> 1)][(row >> 3) + 2 * (k >> 3)], k & 1);
            // B(k, col): lane col·4 + (k % 8)/2, register 4 + (k ≥ 8), half k % 2
            float bv = emu_bf16_at(s[col * 4 + ((k & 7) >> 1)][4 + (k >> 3)], k & 1);
            acc += (double)av * bv;
        }
        d[i] = (float)acc;
    }
}

inline void tc_mma_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    uint32_t w[6] = {a[0], a[1], a[2], a[3], b[0], b[1]};
    uint32_t (*s)[16] = emu_deposit(w, 6);
    int g = emu_lane() >> 2, t = emu_lane() & 3;
    for (int i = 0; i < 4; i++) {
        int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
        double acc = d[i];
        for (int k = 0; k < 8; k++) {
            // the tensor core reads only the 19 tf32 bits of each operand
            float av = __uint_as_float(s[(row & 7) * 4 + (k & 3)][(row >> 3) + 2 * (k >> 2)] & 0xffffe000u);
            float bv = __uint_as_float(s[col * 4 + (k & 3)][4 + (k >> 2)] & 0xffffe000u);
            acc += (double)av * bv;
        }
        d[i] = (float)acc;
    }
}

template <int N, bool TRANS>
inline void tc_ldmatrix(uint32_t (&r)[N], const void* row) {
    if (emu_lane() < 8 * N && (!emu_in_shared(row, 16) || ((uintptr_t)row & 15) != 0))
        emu_fail("ldmatrix row address not 16-byte aligned inside dynamic shared memory");
    EmuFiber& f = emu_self();
    auto& s = emu_slots();
    int set = f.collective;
    f.collective ^= 1;
    s.p[set][f.lane] = row;
    emu_arrive_and_wait(emu_block->warpBar[f.warp]);
    int l = f.lane;
    for (int m = 0; m < N; m++) {
        const char* const* rows = reinterpret_cast<const char* const*>(&s.p[set][8 * m]);
        if (!TRANS) {  // lane l: row l/4, elements 2·(l%4), +1
            std::memcpy(&r[m], rows[l >> 2] + 4 * (l & 3), 4);
        } else {       // lane l: column l/4 of rows 2·(l%4) and 2·(l%4)+1
            uint16_t lo, hi;
            std::memcpy(&lo, rows[2 * (l & 3)] + 2 * (l >> 2), 2);
            std::memcpy(&hi, rows[2 * (l & 3) + 1] + 2 * (l >> 2), 2);
            r[m] = lo | ((uint32_t)hi << 16);
        }
    }
}

inline void tc_cp_async_16(void* smemDst, const void* globalSrc, int srcBytes) {
    if (!emu_in_shared(smemDst, 16) || ((uintptr_t)smemDst & 15) != 0)
        emu_fail("cp.async destination not 16-byte aligned inside dynamic shared memory");
    if (srcBytes < 0 || srcBytes > 16) emu_fail("cp.async src-size outside [0, 16]");
    if (srcBytes > 0 && ((uintptr_t)globalSrc & 15) != 0) emu_fail("cp.async source not 16-byte aligned");
    EmuAsyncCopy c{static_cast<char*>(smemDst), {}, 16};
    std::memset(c.bytes, 0, 16);
    if (srcBytes > 0) std::memcpy(c.bytes, globalSrc, srcBytes);
    emu_self().open.push_back(c);
}

inline void tc_cp_async_commit() {
    EmuFiber& f = emu_self();
    f.committed.push_back(std::move(f.open));
    f.open.clear();
}

template <int N>
inline void tc_cp_async_wait() {
    EmuFiber& f = emu_self();
    while ((int)f.committed.size() > N) {
        for (const EmuAsyncCopy& c : f.committed.front()) std::memcpy(c.dst, c.bytes, c.size);
        f.committed.erase(f.committed.begin());
    }
}
