// attention_flash.cu — the tensor-core rung of the attention ladder (attention.cu holds v1 and v2, kept as
// reference and as the fallback for head dims other than 32, 64, 128). Launcher: FlashAttentionCuda.java.
// CPU reference: AttentionCpu on bf16-rounded q, k, v (and dout).
//
// Same contract as attention.cu: per head h < bh, q [lq, d], k, v [lk, d], out [lq, d], lse [lq], fp32, each
// operand where its AttnLayout says (attention_layout.cuh; packed qkv and token-major tensors are read in place);
// S = scale·q·kᵀ, P = softmax_rows(S), out = P·v, lse_i = log Σ_j exp(S_ij). Backward adds (overwrite = 0) or
// writes (overwrite ≠ 0; each element has one writer) dq = scale·dS·k, dk = scale·dSᵀ·q, dv = Pᵀ·dout with
// dS = P ∘ (dout·vᵀ − D),
// D_i = dout_i·out_i (attention_backward_dot in attention.cu computes D). lq ≠ lk is allowed (CAE's
// cross-attention). d ∈ {32, 64, 128} is a template parameter (the kernel name's suffix).
//
// The FlashAttention-2 scheme (Dao 2023, "FlashAttention-2", Algorithm 1 and 2) with mma.sync bf16:
//   forward  — a block of 4 warps owns 64 query rows, 16 per warp. Each warp keeps its Q rows as mma A
//              fragments in registers for the whole kernel and streams K/V in tiles of 64 keys through
//              shared memory: S = Q·Kᵀ (mma, K read with ldmatrix), online softmax on the S accumulators
//              in registers (row max/sum across the 4 lanes of a quad by shuffles, rescale of O by
//              exp(m_old − m_new)), then O += P·V where P's accumulators are repacked in registers as
//              the A operand (mma_c_to_a) and V is read with ldmatrix.trans. Nothing of size lq·lk
//              exists; lse = m + log l is saved for the backward pass.
//   backward — recomputes P = exp(scale·S − lse) instead of storing it. Two kernels, like attention.cu v2:
//              dkdv: a block owns 64 keys (K and V resident in shared memory as bf16), streams Q and
//                    dout tiles: Sᵀ = K·Qᵀ, dPᵀ = V·doutᵀ, dSᵀ = Pᵀ ∘ (dPᵀ − D), dV += Pᵀ·dout,
//                    dK += dSᵀ·Q — all in registers, one warp per 16 keys.
//              dq:   a block owns 64 query rows (Q and dout as register fragments), streams K and V:
//                    S, dP, dS as above, dQ += dS·K.
//   WHERE dQ IS ACCUMULATED: FlashAttention-2 computes dQ inside the dkdv loop and adds each key tile's
//   contribution to dQ with fp32 atomicAdd. We compute it in its own kernel instead, which recomputes S
//   and dP (3 products more per tile: ~40% more backward FLOPs) but writes every dq element once, in a
//   fixed order: deterministic run to run (the engine's promise, see kernels/README "Determinism"), no
//   fp32 dQ scratch, no atomic traffic. At ViT lengths (50–197 tokens) the backward pass is bound by
//   memory traffic and launch count more than by tensor-core FLOPs, so the price is small.
//
// Tiles travel like gemm_mma.cu's (mma_tiles.cuh): cp.async copies fp32 tiles into a staging buffer while
// the warps work on the previous tile; each thread converts the chunks it copied to the swizzled bf16 tile
// that ldmatrix reads (the engine stores fp32; cp.async cannot convert). Tails (lq, lk not multiples of
// the tiles) are zero-filled, masked keys get S = −∞, masked queries P = 0. All products accumulate in
// fp32; softmax statistics are fp32. Rounding: q, k, v, dout, P and dS enter the tensor cores as bf16.
// Grids are 1-D (bh · row blocks on grid.x, up to 2³¹−1), so batch × heads may exceed 65535.
//
// Build: part of tessera_kernels.cu; sm_80+. Shared memory (FlashAttentionCuda.*SharedBytes) is at most
// 96 KiB: opted into above 48 KiB, within the 99 KiB of sm_86/sm_89.
#include "common.cuh"
#include "attention_layout.cuh"
#include "mma_tiles.cuh"

#define FLASH_THREADS 128
#define FLASH_ROWS 64  // query rows (forward, dq) or keys (dkdv) per block: 16 per warp

// Key tile of the forward and dq kernels, query tile of the dkdv kernel: 64 rows at d ≤ 64. At d = 128 a
// 16 × 128 fp32 accumulator takes 64 registers per lane (the backward kernels hold two such blocks, or one
// plus 64 registers of Q and dout fragments), so the tiles shrink to keep every kernel within 255 registers
// without spills (ptxas -v): 32 keys forward, 16 rows backward.
template <int D> struct FlashTiles {
    static constexpr int FWD_KEYS = D == 128 ? 32 : 64;
    static constexpr int BWD_TILE = D == 128 ? 16 : 64;
    // staging fp32 + bf16 tile, for two operands (K and V, or Q and dout)
    static constexpr int FWD_SHARED = 2 * FWD_KEYS * D * (4 + 2);
    static constexpr int DQ_SHARED = 2 * BWD_TILE * D * (4 + 2);
    // + resident bf16 K and V of the block's 64 keys, + lse and D of the query tile
    static constexpr int DKDV_SHARED = 2 * BWD_TILE * D * (4 + 2) + 2 * FLASH_ROWS * D * 2 + 2 * BWD_TILE * 4;
};

// The A fragments of 16 rows × D columns of a fp32 matrix with row stride ld, rows ≥ `rows` as zeros.
template <int D>
__device__ __forceinline__ void flash_load_rows(uint32_t (&f)[D / 16][4], const float* base, size_t ld, int row0, int rows) {
    const int g = (threadIdx.x & 31) >> 2, t = threadIdx.x & 3;
#pragma unroll
    for (int kc = 0; kc < D / 16; kc++)
#pragma unroll
        for (int reg = 0; reg < 4; reg++) {
            int row = row0 + g + (reg & 1) * 8, col = kc * 16 + 2 * t + (reg >> 1) * 8;
            float x0 = 0.0f, x1 = 0.0f;
            if (row < rows) {
                x0 = base[row * ld + col];
                x1 = base[row * ld + col + 1];
            }
            f[kc][reg] = tc_pack_bf16(x0, x1);
        }
}

// The max (or sum) of a row held by the 4 lanes of a quad (lanes 4g … 4g+3 hold row g of every tile).
__device__ __forceinline__ float flash_quad_max(float v) {
    v = jmaxf(v, __shfl_xor_sync(TS_FULL_MASK, v, 1));
    return jmaxf(v, __shfl_xor_sync(TS_FULL_MASK, v, 2));
}

__device__ __forceinline__ float flash_quad_sum(float v) {
    v += __shfl_xor_sync(TS_FULL_MASK, v, 1);
    return v + __shfl_xor_sync(TS_FULL_MASK, v, 2);
}

// acc[N/8][4] (16 rows × N columns) = A(16 × D, register fragments) · Bᵀ where B is a bf16 tile [N][D].
template <int D, int N>
__device__ __forceinline__ void flash_mul_abt(float (&acc)[N / 8][4], const uint32_t (&a)[D / 16][4], const bf16_t* tile) {
#pragma unroll
    for (int ni = 0; ni < N / 8; ni++)
#pragma unroll
        for (int q = 0; q < 4; q++) acc[ni][q] = 0.0f;
#pragma unroll
    for (int kc = 0; kc < D / 16; kc++)
#pragma unroll
        for (int nj = 0; nj < N / 16; nj++) {
            uint32_t b4[4];
            mma_frag_b2<D, true>(b4, tile, kc * 16, nj * 16);
            uint32_t b0[2] = {b4[0], b4[1]}, b1[2] = {b4[2], b4[3]};
            tc_mma_bf16(acc[2 * nj], a[kc], b0);
            tc_mma_bf16(acc[2 * nj + 1], a[kc], b1);
        }
}

// acc[D/8][4] (16 × D) += P(16 × K, fp32 accumulators, rounded to bf16 here) · B where B is a bf16 tile [K][D].
template <int D, int K>
__device__ __forceinline__ void flash_mul_pb(float (&acc)[D / 8][4], const float (&p)[K / 8][4], const bf16_t* tile) {
#pragma unroll
    for (int kc = 0; kc < K / 16; kc++) {
        uint32_t a[4];
        mma_c_to_a(a, p[2 * kc], p[2 * kc + 1]);
#pragma unroll
        for (int dn = 0; dn < D / 16; dn++) {
            uint32_t b4[4];
            mma_frag_b2<D, false>(b4, tile, kc * 16, dn * 16);
            uint32_t b0[2] = {b4[0], b4[1]}, b1[2] = {b4[2], b4[3]};
            tc_mma_bf16(acc[2 * dn], a, b0);
            tc_mma_bf16(acc[2 * dn + 1], a, b1);
        }
    }
}

// Issues the copies of rows r0.. of two [rows][D] fp32 matrices (one head) into their staging tiles.
template <int ROWS, int D>
__device__ __forceinline__ void flash_stage_pair(float* st, const MmaMatrix<float>& x, const MmaMatrix<float>& y, int r0,
                                                 bool vec) {
    mma_stage_f32<ROWS, D, FLASH_THREADS>(st, x, r0, 0, vec);
    mma_stage_f32<ROWS, D, FLASH_THREADS>(st + ROWS * D, y, r0, 0, vec);
    tc_cp_async_commit();
}

// Waits for the staged pair and converts this thread's chunks to the bf16 tiles (publish with __syncthreads).
template <int ROWS, int D>
__device__ __forceinline__ void flash_land_pair(bf16_t* tile, const float* st) {
    tc_cp_async_wait<0>();
    mma_convert_own<ROWS, D, FLASH_THREADS>(tile, st);
    mma_convert_own<ROWS, D, FLASH_THREADS>(tile + ROWS * D, st + ROWS * D);
}

// cp.async moves 16-byte chunks: both bases and both row strides (in floats, multiples of 4) must keep them aligned.
__device__ __forceinline__ bool flash_vec(const MmaMatrix<float>& a, const MmaMatrix<float>& b) {
    return (((uintptr_t)a.base | (uintptr_t)b.base) & 15) == 0 && ((a.ld | b.ld) & 3) == 0;
}

__device__ __forceinline__ void flash_store(float* g, float x, int overwrite) {
    if (overwrite) *g = x;
    else *g += x;
}

// ------------------------------------------------------------------------------------------------ forward
// Grid: bh · ceil(lq / 64) blocks of 128 threads; dynamic shared memory FlashTiles<D>::FWD_SHARED.
template <int D>
__device__ __forceinline__ void flash_forward(const float* __restrict__ q, const float* __restrict__ k,
                                              const float* __restrict__ v, float* __restrict__ out,
                                              float* __restrict__ lse, const AttnLayout& lay, int bh, int lq, int lk,
                                              float scale) {
    constexpr int BC = FlashTiles<D>::FWD_KEYS;
    extern __shared__ __align__(128) unsigned char flash_smem[];
    float* st = reinterpret_cast<float*>(flash_smem);                  // staging K [BC][D], V [BC][D]
    bf16_t* tk = reinterpret_cast<bf16_t*>(st + 2 * BC * D);            // bf16 K, then V
    bf16_t* tv = tk + BC * D;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, t = lane & 3;
    const int qBlocks = (lq + FLASH_ROWS - 1) / FLASH_ROWS;
    const int h = blockIdx.x / qBlocks, row0 = (blockIdx.x - h * qBlocks) * FLASH_ROWS + warp * 16;
    MmaMatrix<float> K{k + attn_row(lay.k, lay.heads, h, 0), lay.k.token, lk, D};
    MmaMatrix<float> V{v + attn_row(lay.v, lay.heads, h, 0), lay.v.token, lk, D};
    const bool vec = flash_vec(K, V);

    uint32_t qf[D / 16][4];
    flash_load_rows<D>(qf, q + attn_row(lay.q, lay.heads, h, 0), lay.q.token, row0, lq);
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f}, o[D / 8][4];
#pragma unroll
    for (int dn = 0; dn < D / 8; dn++)
#pragma unroll
        for (int c = 0; c < 4; c++) o[dn][c] = 0.0f;

    const int tiles = (lk + BC - 1) / BC;
    if (tiles > 0) flash_stage_pair<BC, D>(st, K, V, 0, vec);
    for (int j = 0; j < tiles; j++) {
        flash_land_pair<BC, D>(tk, st);
        __syncthreads();                                                // tile j visible to all warps
        if (j + 1 < tiles) flash_stage_pair<BC, D>(st, K, V, (j + 1) * BC, vec);

        float s[BC / 8][4];
        flash_mul_abt<D, BC>(s, qf, tk);
        // scale, mask keys past lk; c < 2 belongs to row g (r = 0), c ≥ 2 to row g + 8 (r = 1)
        float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
        for (int ni = 0; ni < BC / 8; ni++)
#pragma unroll
            for (int c = 0; c < 4; c++) {
                int key = j * BC + ni * 8 + 2 * t + (c & 1);
                s[ni][c] = key < lk ? s[ni][c] * scale : -INFINITY;
                mx[c >> 1] = jmaxf(mx[c >> 1], s[ni][c]);
            }
        float corr[2];
#pragma unroll
        for (int r = 0; r < 2; r++) {
            float mNew = jmaxf(m[r], flash_quad_max(mx[r]));
            corr[r] = expf(m[r] - mNew);                                // 0 on the first tile (m = −∞)
            m[r] = mNew;
            l[r] *= corr[r];
        }
#pragma unroll
        for (int ni = 0; ni < BC / 8; ni++)
#pragma unroll
            for (int c = 0; c < 4; c++) {
                s[ni][c] = expf(s[ni][c] - m[c >> 1]);                 // P (unnormalised); masked keys → 0
                l[c >> 1] += s[ni][c];                                  // this lane's columns only; summed at the end
            }
#pragma unroll
        for (int dn = 0; dn < D / 8; dn++)
#pragma unroll
            for (int c = 0; c < 4; c++) o[dn][c] *= corr[c >> 1];
        flash_mul_pb<D, BC>(o, s, tv);
        __syncthreads();                                                // every warp done with tile j
    }

    const int g = lane >> 2;
#pragma unroll
    for (int r = 0; r < 2; r++) {
        float lr = flash_quad_sum(l[r]);
        int row = row0 + g + 8 * r;
        if (row >= lq) continue;
        float* orow = out + attn_row(lay.o, lay.heads, h, row);
#pragma unroll
        for (int dn = 0; dn < D / 8; dn++) {
            orow[dn * 8 + 2 * t] = lr > 0.0f ? o[dn][2 * r] / lr : 0.0f;  // l = 0 only when lk = 0
            orow[dn * 8 + 2 * t + 1] = lr > 0.0f ? o[dn][2 * r + 1] / lr : 0.0f;
        }
        if (t == 0) lse[(size_t)h * lq + row] = m[r] + logf(lr);
    }
}

// ------------------------------------------------------------------------------------------------ backward: dq
// Grid: bh · ceil(lq / 64) blocks of 128 threads; dynamic shared memory FlashTiles<D>::DQ_SHARED.
template <int D>
__device__ __forceinline__ void flash_backward_dq(const float* __restrict__ q, const float* __restrict__ k,
                                                  const float* __restrict__ v, const float* __restrict__ lse,
                                                  const float* __restrict__ Dsum, const float* __restrict__ dout,
                                                  float* __restrict__ dq, const AttnLayout& lay, int bh, int lq, int lk,
                                                  float scale, int overwrite) {
    constexpr int BC = FlashTiles<D>::BWD_TILE;
    extern __shared__ __align__(128) unsigned char flash_smem[];
    float* st = reinterpret_cast<float*>(flash_smem);
    bf16_t* tk = reinterpret_cast<bf16_t*>(st + 2 * BC * D);
    bf16_t* tv = tk + BC * D;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int qBlocks = (lq + FLASH_ROWS - 1) / FLASH_ROWS;
    const int h = blockIdx.x / qBlocks, row0 = (blockIdx.x - h * qBlocks) * FLASH_ROWS + warp * 16;
    MmaMatrix<float> K{k + attn_row(lay.k, lay.heads, h, 0), lay.k.token, lk, D};
    MmaMatrix<float> V{v + attn_row(lay.v, lay.heads, h, 0), lay.v.token, lk, D};
    const bool vec = flash_vec(K, V);

    uint32_t qf[D / 16][4], gf[D / 16][4];
    flash_load_rows<D>(qf, q + attn_row(lay.q, lay.heads, h, 0), lay.q.token, row0, lq);
    flash_load_rows<D>(gf, dout + attn_row(lay.o, lay.heads, h, 0), lay.o.token, row0, lq);
    float L[2], Dr[2], acc[D / 8][4];
#pragma unroll
    for (int r = 0; r < 2; r++) {
        int row = row0 + g + 8 * r;
        L[r] = row < lq ? lse[(size_t)h * lq + row] : 0.0f;
        Dr[r] = row < lq ? Dsum[(size_t)h * lq + row] : 0.0f;
    }
#pragma unroll
    for (int dn = 0; dn < D / 8; dn++)
#pragma unroll
        for (int c = 0; c < 4; c++) acc[dn][c] = 0.0f;

    const int tiles = (lk + BC - 1) / BC;
    if (tiles > 0) flash_stage_pair<BC, D>(st, K, V, 0, vec);
    for (int j = 0; j < tiles; j++) {
        flash_land_pair<BC, D>(tk, st);
        __syncthreads();
        if (j + 1 < tiles) flash_stage_pair<BC, D>(st, K, V, (j + 1) * BC, vec);

        float s[BC / 8][4], dp[BC / 8][4];
        flash_mul_abt<D, BC>(s, qf, tk);   // S = Q·Kᵀ
        flash_mul_abt<D, BC>(dp, gf, tv);  // dP = dout·Vᵀ
#pragma unroll
        for (int ni = 0; ni < BC / 8; ni++)
#pragma unroll
            for (int c = 0; c < 4; c++) {
                int key = j * BC + ni * 8 + 2 * t + (c & 1), r = c >> 1;
                float p = key < lk ? expf(s[ni][c] * scale - L[r]) : 0.0f;
                s[ni][c] = p * (dp[ni][c] - Dr[r]);                     // dS
            }
        flash_mul_pb<D, BC>(acc, s, tk);   // dQ += dS·K
        __syncthreads();
    }

#pragma unroll
    for (int r = 0; r < 2; r++) {
        int row = row0 + g + 8 * r;
        if (row >= lq) continue;
        float* grow = dq + attn_row(lay.q, lay.heads, h, row);
#pragma unroll
        for (int dn = 0; dn < D / 8; dn++) {
            flash_store(grow + dn * 8 + 2 * t, scale * acc[dn][2 * r], overwrite);
            flash_store(grow + dn * 8 + 2 * t + 1, scale * acc[dn][2 * r + 1], overwrite);
        }
    }
}

// ------------------------------------------------------------------------------------------------ backward: dk, dv
// Grid: bh · ceil(lk / 64) blocks of 128 threads; dynamic shared memory FlashTiles<D>::DKDV_SHARED.
// A null dk or dv is not written (the products are shared, so both are always computed).
template <int D>
__device__ __forceinline__ void flash_backward_dkdv(const float* __restrict__ q, const float* __restrict__ k,
                                                    const float* __restrict__ v, const float* __restrict__ lse,
                                                    const float* __restrict__ Dsum, const float* __restrict__ dout,
                                                    float* dk, float* dv, const AttnLayout& lay, int bh, int lq, int lk,
                                                    float scale, int overwrite) {
    constexpr int BQ = FlashTiles<D>::BWD_TILE;
    extern __shared__ __align__(128) unsigned char flash_smem[];
    float* st = reinterpret_cast<float*>(flash_smem);                  // staging Q [BQ][D], dout [BQ][D]
    bf16_t* tq = reinterpret_cast<bf16_t*>(st + 2 * BQ * D);            // bf16 Q, then dout
    bf16_t* tg = tq + BQ * D;
    bf16_t* tk = tg + BQ * D;                                           // resident K [64][D], V [64][D]
    bf16_t* tv = tk + FLASH_ROWS * D;
    float* ls = reinterpret_cast<float*>(tv + FLASH_ROWS * D);          // lse and D of the query tile
    float* ds = ls + BQ;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int kBlocks = (lk + FLASH_ROWS - 1) / FLASH_ROWS;
    const int h = blockIdx.x / kBlocks, key0 = (blockIdx.x - h * kBlocks) * FLASH_ROWS;
    MmaMatrix<float> Q{q + attn_row(lay.q, lay.heads, h, 0), lay.q.token, lq, D};
    MmaMatrix<float> G{dout + attn_row(lay.o, lay.heads, h, 0), lay.o.token, lq, D};
    const bool vec = flash_vec(Q, G);
    const float* kh = k + attn_row(lay.k, lay.heads, h, 0);
    const float* vh = v + attn_row(lay.v, lay.heads, h, 0);
    const size_t ldk = lay.k.token, ldv = lay.v.token;

    const int tiles = (lq + BQ - 1) / BQ;
    if (tiles > 0) flash_stage_pair<BQ, D>(st, Q, G, 0, vec);
    // K and V of the block's keys, once, while the first Q/dout tile is in flight.
    for (int e = threadIdx.x; e < FLASH_ROWS * D; e += FLASH_THREADS) {
        int r = e / D, c = e - r * D;
        bool ok = key0 + r < lk;
        tk[mma_tile_offset<D>(r, c)] = tc_bf16(ok ? kh[(key0 + r) * ldk + c] : 0.0f);
        tv[mma_tile_offset<D>(r, c)] = tc_bf16(ok ? vh[(key0 + r) * ldv + c] : 0.0f);
    }
    float dka[D / 8][4], dva[D / 8][4];
#pragma unroll
    for (int dn = 0; dn < D / 8; dn++)
#pragma unroll
        for (int c = 0; c < 4; c++) dka[dn][c] = dva[dn][c] = 0.0f;

    for (int i = 0; i < tiles; i++) {
        flash_land_pair<BQ, D>(tq, st);
        if (threadIdx.x < BQ) {
            int row = i * BQ + threadIdx.x;
            ls[threadIdx.x] = row < lq ? lse[(size_t)h * lq + row] : 0.0f;
            ds[threadIdx.x] = row < lq ? Dsum[(size_t)h * lq + row] : 0.0f;
        }
        __syncthreads();
        if (i + 1 < tiles) flash_stage_pair<BQ, D>(st, Q, G, (i + 1) * BQ, vec);

        // Sᵀ = K·Qᵀ and dPᵀ = V·doutᵀ: 16 keys (this warp) × BQ queries
        float sT[BQ / 8][4], dpT[BQ / 8][4];
#pragma unroll
        for (int ni = 0; ni < BQ / 8; ni++)
#pragma unroll
            for (int c = 0; c < 4; c++) sT[ni][c] = dpT[ni][c] = 0.0f;
#pragma unroll
        for (int kc = 0; kc < D / 16; kc++) {
            uint32_t ak[4], av[4];
            mma_frag_a<D, true>(ak, tk, warp * 16, kc * 16);
            mma_frag_a<D, true>(av, tv, warp * 16, kc * 16);
#pragma unroll
            for (int nj = 0; nj < BQ / 16; nj++) {
                uint32_t bq[4], bg[4];
                mma_frag_b2<D, true>(bq, tq, kc * 16, nj * 16);
                mma_frag_b2<D, true>(bg, tg, kc * 16, nj * 16);
                uint32_t q0[2] = {bq[0], bq[1]}, q1[2] = {bq[2], bq[3]}, g0[2] = {bg[0], bg[1]}, g1[2] = {bg[2], bg[3]};
                tc_mma_bf16(sT[2 * nj], ak, q0);
                tc_mma_bf16(sT[2 * nj + 1], ak, q1);
                tc_mma_bf16(dpT[2 * nj], av, g0);
                tc_mma_bf16(dpT[2 * nj + 1], av, g1);
            }
        }
        // Pᵀ and dSᵀ; column (query) index = tile position, masked past lq
#pragma unroll
        for (int ni = 0; ni < BQ / 8; ni++)
#pragma unroll
            for (int c = 0; c < 4; c++) {
                int col = ni * 8 + 2 * t + (c & 1);
                float p = i * BQ + col < lq ? expf(sT[ni][c] * scale - ls[col]) : 0.0f;
                sT[ni][c] = p;
                dpT[ni][c] = p * (dpT[ni][c] - ds[col]);
            }
        flash_mul_pb<D, BQ>(dva, sT, tg);   // dV += Pᵀ·dout
        flash_mul_pb<D, BQ>(dka, dpT, tq);  // dK += dSᵀ·Q
        __syncthreads();
    }

#pragma unroll
    for (int r = 0; r < 2; r++) {
        int key = key0 + warp * 16 + g + 8 * r;
        if (key >= lk) continue;
        const size_t rk = attn_row(lay.k, lay.heads, h, key), rv = attn_row(lay.v, lay.heads, h, key);
#pragma unroll
        for (int dn = 0; dn < D / 8; dn++)
#pragma unroll
            for (int e = 0; e < 2; e++) {
                int c = dn * 8 + 2 * t + e;
                if (dv) flash_store(dv + rv + c, dva[dn][2 * r + e], overwrite);
                if (dk) flash_store(dk + rk + c, scale * dka[dn][2 * r + e], overwrite);
            }
    }
}

// Entry points per head dimension.
#define FLASH_ENTRIES(D)                                                                                              \
    extern "C" __global__ void __launch_bounds__(FLASH_THREADS)                                                     \
    attention_flash_forward_d##D(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v, \
                                 float* __restrict__ out, float* __restrict__ lse, AttnLayout lay, int bh, int lq,  \
                                 int lk, float scale) {                                                             \
        flash_forward<D>(q, k, v, out, lse, lay, bh, lq, lk, scale);                                                \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(FLASH_THREADS)                                                     \
    attention_flash_backward_dq_d##D(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v, \
                                     const float* __restrict__ lse, const float* __restrict__ Dsum,                 \
                                     const float* __restrict__ dout, float* __restrict__ dq, AttnLayout lay, int bh, \
                                     int lq, int lk, float scale, int overwrite) {                                   \
        flash_backward_dq<D>(q, k, v, lse, Dsum, dout, dq, lay, bh, lq, lk, scale, overwrite);                      \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(FLASH_THREADS)                                                     \
    attention_flash_backward_dkdv_d##D(const float* __restrict__ q, const float* __restrict__ k,                    \
                                       const float* __restrict__ v, const float* __restrict__ lse,                  \
                                       const float* __restrict__ Dsum, const float* __restrict__ dout, float* dk,   \
                                       float* dv, AttnLayout lay, int bh, int lq, int lk, float scale,              \
                                       int overwrite) {                                                              \
        flash_backward_dkdv<D>(q, k, v, lse, Dsum, dout, dk, dv, lay, bh, lq, lk, scale, overwrite);                \
    }

FLASH_ENTRIES(32)
FLASH_ENTRIES(64)
FLASH_ENTRIES(128)
