// mma_tiles.cuh — shared-memory tiles for the tensor-core kernels (gemm_mma.cu, attention_flash.cu): how a
// tile of a row-major matrix is copied from global memory into shared memory (cp.async, optionally through an
// fp32 staging tile and a conversion to bf16), how it is laid out there (XOR swizzle), and how warps read
// mma fragments out of it (ldmatrix). Both kernel families use these and nothing else to touch tiles.
//
// SWIZZLE. A bf16 tile of ROWS × COLS (COLS a multiple of 8) is stored row-major in 16-byte chunks of 8
// elements, but chunk c of row r sits at chunk position c ^ f(r). ldmatrix reads, per 8×8 matrix, the same
// chunk column of 8 consecutive rows; unswizzled, rows 64, 128 or 256 bytes apart fall into the same few of
// the 8 bank groups (16 bytes = 4 banks each) and the read is 2–8-way serialized. f(r) makes those 8 chunks
// land in 8 different bank groups: for C = COLS/8 ≥ 8 chunks per row f(r) = r mod 8; for C < 8, 8/C rows share
// one 128-byte line, so f(r) = (r / (8/C)) mod C. The same XOR keeps the cp.async stores conflict-free (8
// consecutive chunks of a row, or of 8/C rows, still cover all 8 groups). The alternative, padding each row by
// 16 bytes, costs ROWS·16 bytes per tile and breaks the 16-byte alignment arithmetic of wider rows; the XOR
// costs one instruction per address.
//
// COPIES (cp.async, tensor_core.cuh). Thread `tid` of THREADS copies the 16-byte chunks tid, tid + THREADS, …
// of the tile in row-major chunk order, so consecutive threads read consecutive global addresses (coalesced)
// for every layout: the tile always mirrors the STORED layout of the matrix ([m][k] or [k][m], …), and the
// fragment loaders below pick ldmatrix or ldmatrix.trans to read it either way. Elements outside the matrix
// (tails in any dimension) are zero-filled by cp.async's src-size, so partial tiles need no special case in
// the math. A chunk needs 16-byte-aligned global addresses; when a matrix's leading dimension or base
// pointer does not allow that (an odd k, a sliced buffer), `vec` is false and the thread loads the chunk's
// elements one by one instead (synchronously; correct, slower, rare for the ViT shapes).
//
// FP32 STORAGE. cp.async copies bytes; it cannot convert fp32 to bf16. The engine stores fp32 today, so the
// fp32 path copies into an fp32 STAGING tile with cp.async and, once a stage has landed, each thread converts
// exactly the chunks IT copied (cvt.rn.bf16x2) into the swizzled bf16 tile that ldmatrix reads. Because a
// cp.async's writes are visible to the issuing thread after its wait_group, the conversion needs no barrier;
// one __syncthreads then publishes the bf16 tile to all warps. The staging tile is private per chunk owner,
// so the next cp.async into it may be issued right after the conversion. Cost: an extra shared-memory round
// trip per element (4 bytes written async, 4 read, 2 written) — small next to the mma work per element — and
// twice the shared memory of a bf16 stage. With bf16 storage the cp.async lands directly in the bf16 tile.
//
// Build: part of tessera_kernels.cu (through the files that include it).
#pragma once

#include "tensor_core.cuh"

// Chunk position of chunk c in row r of a tile with COLS bf16 per row.
template <int COLS>
__device__ __forceinline__ int mma_swizzle(int r, int c) {
    constexpr int C = COLS / 8;
    static_assert(COLS % 8 == 0, "rows are whole 16-byte chunks");
    if constexpr (C >= 8) return c ^ (r & 7);
    else return c ^ ((r / (8 / C)) & (C - 1));
}

// Element offset of (r, c) in a swizzled ROWS × COLS bf16 tile.
template <int COLS>
__device__ __forceinline__ int mma_tile_offset(int r, int c) {
    return r * COLS + (mma_swizzle<COLS>(r, c >> 3) << 3) + (c & 7);
}

// A row-major matrix in global memory: `rows` × `cols` elements, row r at base + r·ld.
template <class T>
struct MmaMatrix {
    const T* base;
    int ld, rows, cols;
};

// How many of the `per` elements starting at (r, c) lie inside the matrix.
template <class T>
__device__ __forceinline__ int mma_valid(const MmaMatrix<T>& g, int r, int c, int per) {
    return r < g.rows ? min(per, max(0, g.cols - c)) : 0;
}

// Issues this thread's cp.async copies of the tile at (r0, c0) of an fp32 matrix into an unswizzled fp32
// ROWS × COLS tile with row stride LD (a staging tile, see FP32 STORAGE above, or a padded tf32 tile);
// zero outside the matrix.
template <int ROWS, int COLS, int THREADS, int LD = COLS>
__device__ __forceinline__ void mma_stage_f32(float* staging, const MmaMatrix<float>& g, int r0, int c0, bool vec) {
    constexpr int CPR = COLS / 4, CHUNKS = ROWS * CPR;
    static_assert(COLS % 4 == 0 && CHUNKS % THREADS == 0, "whole chunks per thread");
#pragma unroll
    for (int i = 0; i < CHUNKS / THREADS; i++) {
        int e = threadIdx.x + i * THREADS, r = e / CPR, c = (e % CPR) * 4;
        int gr = r0 + r, gc = c0 + c, valid = mma_valid(g, gr, gc, 4);
        float* dst = staging + r * LD + c;
        const float* src = g.base + (size_t)gr * g.ld + gc;
        if (vec) {
            tc_cp_async_16(dst, valid > 0 ? src : g.base, 4 * valid);
        } else {
#pragma unroll
            for (int q = 0; q < 4; q++) dst[q] = q < valid ? src[q] : 0.0f;
        }
    }
}

// Converts the chunks this thread staged with mma_stage_f32 (same ROWS, COLS, THREADS) into the bf16 tile.
// Call after this thread's tc_cp_async_wait for that stage; publish with __syncthreads.
template <int ROWS, int COLS, int THREADS>
__device__ __forceinline__ void mma_convert_own(bf16_t* tile, const float* staging) {
    constexpr int CPR = COLS / 4, CHUNKS = ROWS * CPR;
#pragma unroll
    for (int i = 0; i < CHUNKS / THREADS; i++) {
        int e = threadIdx.x + i * THREADS, r = e / CPR, c = (e % CPR) * 4;
        float4 v = *reinterpret_cast<const float4*>(staging + r * COLS + c);
        uint32_t* dst = reinterpret_cast<uint32_t*>(tile + mma_tile_offset<COLS>(r, c));
        dst[0] = tc_pack_bf16(v.x, v.y);
        dst[1] = tc_pack_bf16(v.z, v.w);
    }
}

// Issues this thread's cp.async copies of the tile at (r0, c0) of a bf16 matrix straight into the swizzled
// bf16 tile; zero outside the matrix.
template <int ROWS, int COLS, int THREADS>
__device__ __forceinline__ void mma_stage_bf16(bf16_t* tile, const MmaMatrix<bf16_t>& g, int r0, int c0, bool vec) {
    constexpr int CPR = COLS / 8, CHUNKS = ROWS * CPR;
    static_assert(CHUNKS % THREADS == 0, "whole chunks per thread");
#pragma unroll
    for (int i = 0; i < CHUNKS / THREADS; i++) {
        int e = threadIdx.x + i * THREADS, r = e / CPR, c = (e % CPR) * 8;
        int gr = r0 + r, gc = c0 + c, valid = mma_valid(g, gr, gc, 8);
        bf16_t* dst = tile + mma_tile_offset<COLS>(r, c);
        const bf16_t* src = g.base + (size_t)gr * g.ld + gc;
        if (vec) {
            tc_cp_async_16(dst, valid > 0 ? src : g.base, 2 * valid);
        } else {
#pragma unroll
            for (int q = 0; q < 8; q++) dst[q] = q < valid ? src[q] : (bf16_t)0;
        }
    }
}

// Whether 16-byte chunks of a matrix with leading dimension `ld` starting at `p` are aligned (elements of
// `bytes` each): the base and every row start must be 16-byte aligned.
__device__ __forceinline__ bool mma_chunks_aligned(const void* p, long ld, int bytes) {
    return ((uintptr_t)p & 15) == 0 && (ld * bytes) % 16 == 0;
}

// The A operand of one m16n8k16 (16 rows m × 16 columns k) at (m0, k0) of a tile that stores the operand
// [m][k] (KMAJOR: k contiguous) or [k][m]; see tensor_core.cuh for the register layout.
template <int COLS, bool KMAJOR>
__device__ __forceinline__ void mma_frag_a(uint32_t (&a)[4], const bf16_t* tile, int m0, int k0) {
    int l = threadIdx.x & 31, j = l >> 3, r = l & 7;
    // ldmatrix matrix j feeds register j: j & 1 selects rows m+8, j >> 1 selects columns k+8
    if constexpr (KMAJOR) tc_ldmatrix<4, false>(a, tile + mma_tile_offset<COLS>(m0 + (j & 1) * 8 + r, k0 + (j >> 1) * 8));
    else tc_ldmatrix<4, true>(a, tile + mma_tile_offset<COLS>(k0 + (j >> 1) * 8 + r, m0 + (j & 1) * 8));
}

// The B operands of two m16n8k16 side by side (16 k × columns n0..n0+15) from a tile that stores B [n][k]
// (KMAJOR) or [k][n]: b[0..1] for columns n0..n0+7, b[2..3] for n0+8..n0+15.
template <int COLS, bool KMAJOR>
__device__ __forceinline__ void mma_frag_b2(uint32_t (&b)[4], const bf16_t* tile, int k0, int n0) {
    int l = threadIdx.x & 31, j = l >> 3, r = l & 7;
    // matrix j feeds register j: j & 1 selects k+8, j >> 1 selects the second n8 tile
    if constexpr (KMAJOR) tc_ldmatrix<4, false>(b, tile + mma_tile_offset<COLS>(n0 + (j >> 1) * 8 + r, k0 + (j & 1) * 8));
    else tc_ldmatrix<4, true>(b, tile + mma_tile_offset<COLS>(k0 + (j & 1) * 8 + r, n0 + (j >> 1) * 8));
}

// Accumulators of two n8 tiles (columns k0..k0+15 of a 16-row C) repacked as the A operand of the next
// product: the C layout of m16n8 tiles 2i and 2i+1 is the A layout of m16k16 (FlashAttention-2's P·V trick).
__device__ __forceinline__ void mma_c_to_a(uint32_t (&a)[4], const float (&c0)[4], const float (&c1)[4]) {
    a[0] = tc_pack_bf16(c0[0], c0[1]);
    a[1] = tc_pack_bf16(c0[2], c0[3]);
    a[2] = tc_pack_bf16(c1[0], c1[1]);
    a[3] = tc_pack_bf16(c1[2], c1[3]);
}
