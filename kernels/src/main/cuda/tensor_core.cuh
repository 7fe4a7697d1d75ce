// tensor_core.cuh — the tensor-core instructions of the mma kernels (gemm_mma.cu, attention_flash.cu), one
// small device function each, so a kernel reads as "load a fragment, multiply-accumulate" and the same kernel
// source compiles two ways:
//   * under nvcc (__CUDACC__): inline PTX, exactly the instructions named below (sm_80 and newer);
//   * under g++ for the CPU emulator (kernels/emulate-kernels.sh): src/test/emu/tensor_core_emu.h, which
//     implements the same functions from the PTX ISA's definitions (fragment layouts, copy semantics,
//     rounding), checked instruction by instruction in src/test/emu/emu_tc_test.cpp.
//
// The instructions (PTX ISA 9.0, "Warp-level matrix instructions" and "Data movement"):
//   mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32   D[16×8] = A[16×16]·B[16×8] + C, fp32 accumulate
//   mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32    D[16×8] = A[16×8]·B[8×8] + C
//   ldmatrix.sync.aligned.m8n8.x{1,2,4}{.trans}.shared.b16 1–4 8×8 b16 matrices from shared memory, each lane
//                                                          receiving the fragment layout mma expects
//   cp.async.cg.shared.global [dst], [src], 16, srcBytes   asynchronous 16-byte copy global → shared, zero-fill
//                                                          past srcBytes; lands at cp.async.wait_group
//   cvt.rn.bf16x2.f32 / cvt.rna.tf32.f32                   fp32 → bf16 (round to nearest even) / → tf32
//                                                          (round to nearest, ties away from zero)
// Fragment layouts (which lane holds which element; g = lane / 4, t = lane % 4), m16n8k16 bf16:
//   A: reg0 = (row g,   cols 2t, 2t+1)   reg1 = (row g+8, cols 2t, 2t+1)
//      reg2 = (row g,   cols 2t+8, +9)   reg3 = (row g+8, cols 2t+8, +9)      (low half = lower column)
//   B: reg0 = (rows 2t, 2t+1, col g)     reg1 = (rows 2t+8, 2t+9, col g)
//   C/D: c0, c1 = (row g, cols 2t, 2t+1)  c2, c3 = (row g+8, cols 2t, 2t+1)
// m16n8k8 tf32: A a0 = (g, t), a1 = (g+8, t), a2 = (g, t+4), a3 = (g+8, t+4); B b0 = (t, g), b1 = (t+4, g);
// C/D as above.
#pragma once

#include <stdint.h>

// A bf16 value as its 16 raw bits (sign, 8 exponent bits, 7 mantissa bits: the top half of an fp32).
typedef uint16_t bf16_t;

#if defined(__CUDACC__)

// Shared-memory address of a generic pointer into shared memory, as ldmatrix and cp.async take it.
__device__ __forceinline__ uint32_t tc_smem(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }

// Two fp32 → one register of two bf16, `lo` in the low half (the lower column of a fragment pair).
__device__ __forceinline__ uint32_t tc_pack_bf16(float lo, float hi) {
    uint32_t d;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));  // PTX packs operand a in the high half
    return d;
}

__device__ __forceinline__ bf16_t tc_bf16(float x) {
    unsigned short d;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(d) : "f"(x));
    return d;
}

// fp32 rounded to tf32 (10 mantissa bits), returned as the 32-bit pattern mma.tf32 takes.
__device__ __forceinline__ uint32_t tc_tf32(float x) {
    uint32_t d;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(d) : "f"(x));
    return d;
}

// d += A·B for one 16×8×16 bf16 tile (fp32 accumulators in place).
__device__ __forceinline__ void tc_mma_bf16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// d += A·B for one 16×8×8 tf32 tile.
__device__ __forceinline__ void tc_mma_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// N (1, 2 or 4) 8×8 b16 matrices; lane l passes the address of row l % 8 of matrix l / 8 (16-byte aligned).
// TRANS delivers each matrix transposed (lane l gets column l / 4, rows 2·(l % 4) and 2·(l % 4) + 1).
template <int N, bool TRANS>
__device__ __forceinline__ void tc_ldmatrix(uint32_t (&r)[N], const void* row) {
    uint32_t a = tc_smem(row);
    if constexpr (N == 4 && !TRANS)
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a) : "memory");
    else if constexpr (N == 4 && TRANS)
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a) : "memory");
    else if constexpr (N == 2 && !TRANS)
        asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];" : "=r"(r[0]), "=r"(r[1]) : "r"(a) : "memory");
    else if constexpr (N == 2 && TRANS)
        asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];" : "=r"(r[0]), "=r"(r[1]) : "r"(a) : "memory");
    else if constexpr (N == 1 && !TRANS)
        asm volatile("ldmatrix.sync.aligned.m8n8.x1.shared.b16 {%0}, [%1];" : "=r"(r[0]) : "r"(a) : "memory");
    else
        asm volatile("ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16 {%0}, [%1];" : "=r"(r[0]) : "r"(a) : "memory");
}

// Starts copying 16 bytes global → shared (both 16-byte aligned); only the first srcBytes (0..16) are read,
// the rest of the 16 destination bytes become zero. The data is there only after tc_cp_async_wait.
__device__ __forceinline__ void tc_cp_async_16(void* smemDst, const void* globalSrc, int srcBytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(tc_smem(smemDst)), "l"(globalSrc), "r"(srcBytes)
                 : "memory");
}

// Closes the group of this thread's copies issued since the last commit.
__device__ __forceinline__ void tc_cp_async_commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }

// Waits until at most N of this thread's committed groups are still in flight (the older ones have landed
// and are visible to this thread; other threads see them after a __syncthreads).
template <int N>
__device__ __forceinline__ void tc_cp_async_wait() { asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory"); }

#else
#include "tensor_core_emu.h"
#endif

__device__ __forceinline__ float tc_bf16_to_float(bf16_t h) { return __uint_as_float((uint32_t)h << 16); }
