// attention.cu — fused scaled dot-product attention, forward and backward, fp32 with fp32 statistics.
// CPU reference: engine/.../backend/cpu/AttentionCpu.java. Java launcher: kernels/.../AttentionCuda.java.
//
// Per head h in [0, bh): q [lq, d], k and v [lk, d], out [lq, d], lse [lq]. Where each head's rows lie is the
// AttnLayout (attention_layout.cuh): per operand an offset and batch/head/token strides, so q, k, v are read
// straight from a packed qkv [N, T, 3D] or token-major [N, L, D] tensor and out written as [N, T, D] — no head
// split/merge copies. lse and D are contiguous [bh, lq]. lq may differ from lk (cross-attention: CAE's
// regressor has 98 queries over 196 keys).
//   S = scale·q·kᵀ,  P = softmax_rows(S),  out = P·v,  lse_i = log Σ_j exp(S_ij)   (P itself is never stored)
// Backward (FlashAttention-2 recipe, D_i = rowsum(dout ∘ out) = Σ_j P_ij·dP_ij):
//   P_ij = exp(S_ij − lse_i),  dP = dout·vᵀ,  dS = P ∘ (dP − D),
//   dq += scale·dS·k,   dk += scale·dSᵀ·q,   dv += Pᵀ·dout          (a null grad is skipped)
// overwrite ≠ 0 writes the gradients with = instead of += (GradMode.OVERWRITE: the caller's fresh, uninitialised
// d(qkv) needs no memset). Every gradient element has exactly one writer (v1: the block of its row; v2: one lane
// of the warp owning its row), so both modes are race-free; with lq or lk = 0 the kernels still run in
// overwrite mode and write zeros.
// Head dimension d ≤ 128 for v2 (each lane owns columns lane, lane+32, lane+64, lane+96); v1 has no limit
// on d but keeps one score row in shared memory (lk ≤ 12256: 48 KiB less the forward kernel's 128 static bytes).
//
// Versions (AttentionCuda.Variant, DEFAULT = V2):
//   v1  one block per (head, query row) — the CPU loop: scores for the row go to shared memory, block max and
//       sum, then threads over d form P·v. Backward: D, then one block per query row for dq and one block
//       per key row for dk/dv, each recomputing its scores. Simple, exact, O(lq·lk·d) global reads of k/v.
//   v2  tiled, FlashAttention-style. A block of 4 warps owns 16 query rows (4 per warp); k/v stream through
//       shared memory in tiles of 32 keys; lane j scores key j of the tile, the row max/sum are warp
//       shuffles, and the running output is rescaled by exp(m_old − m_new) (online softmax), so each k/v
//       tile is read once per 16 queries instead of once per query and nothing of size lq·lk exists.
//       Backward is split in two deterministic kernels instead of FlashAttention-2's atomics for dq:
//       dq (warps own query rows, stream k/v tiles) and dk/dv (warps own 2 key rows each, stream q/dout
//       tiles). Shared-memory rows that lanes read "one row per lane" use an odd stride (d|1), so the 32
//       lanes hit 32 different banks.
// Both versions are deterministic (fixed reduction orders, no atomics). The v1 block-per-row loops count in
// 64 bits (see strided.cu). attention_forward_v1 also has 128 bytes of static shared memory (the reduction
// scratch), which AttentionCuda.v1Geometry adds to the dynamic bytes when it checks the 48 KiB limit.
//
// Build: part of tessera_kernels.cu.
#include "common.cuh"
#include "attention_layout.cuh"

#define ATT_TILE 32                     // keys (forward, dq) or queries (dk/dv) per shared-memory tile
#define ATT_WARPS 4                     // warps per v2 block (128 threads)
#define ATT_FWD_ROWS 4                  // query rows per warp in forward v2
#define ATT_BWD_ROWS 2                  // query rows (dq) or key rows (dk/dv) per warp in backward v2
#define ATT_DMAX 128
#define ATT_DPL (ATT_DMAX / 32)         // columns per lane

// Odd row stride for tiles read one row per lane: (j·stride + c) mod 32 differs for all 32 lanes j.
__device__ __forceinline__ int att_odd_stride(int d) { return d | 1; }

// g = x (overwrite) or g += x: one writer per element, so no atomics either way.
__device__ __forceinline__ void att_store(float* g, float x, int overwrite) {
    if (overwrite) *g = x;
    else *g += x;
}

// ------------------------------------------------------------------------------------------------ v1
// Block per (head, query row); dynamic shared memory: lk floats.
extern "C" __global__ void attention_forward_v1(const float* __restrict__ q, const float* __restrict__ k,
                                                const float* __restrict__ v, float* __restrict__ out,
                                                float* __restrict__ lse, AttnLayout lay, int bh, int lq, int lk,
                                                int d, float scale) {
    extern __shared__ float s[];
    __shared__ float scratch[32];
    for (long long blk64 = blockIdx.x; blk64 < (long long)bh * lq; blk64 += gridDim.x) {  // block-uniform
        int blk = (int)blk64;
        int h = blk / lq, i = blk - h * lq;
        const float* qi = q + attn_row(lay.q, lay.heads, h, i);
        const float* kh = k + attn_row(lay.k, lay.heads, h, 0);
        const float* vh = v + attn_row(lay.v, lay.heads, h, 0);
        const size_t tk = lay.k.token, tv = lay.v.token;
        float mloc = -INFINITY;
        for (int j = threadIdx.x; j < lk; j += blockDim.x) {
            float dot = 0.0f;
            for (int c = 0; c < d; c++) dot += qi[c] * kh[j * tk + c];
            s[j] = dot * scale;
            mloc = jmaxf(mloc, s[j]);
        }
        float m = block_max(mloc, scratch);  // its barriers also publish s[]
        float lloc = 0.0f;
        for (int j = threadIdx.x; j < lk; j += blockDim.x) {
            float e = expf(s[j] - m);
            s[j] = e;
            lloc += e;
        }
        float l = block_sum(lloc, scratch);
        for (int c = threadIdx.x; c < d; c += blockDim.x) {
            float acc = 0.0f;
            for (int j = 0; j < lk; j++) acc += s[j] * vh[j * tv + c];
            out[attn_row(lay.o, lay.heads, h, i) + c] = l > 0.0f ? acc / l : 0.0f;  // l = 0 only when lk = 0 (CPU: 0)
        }
        if (threadIdx.x == 0) lse[(size_t)h * lq + i] = m + logf(l);
        __syncthreads();  // s[] is rewritten by the next row
    }
}

// D[r] = Σ_c dout[r, c]·out[r, c] for the rows r = h·lq + i of bh heads (dout laid out as out, lay.o); one warp
// per row. Used by both backward versions and by attention_flash.cu.
extern "C" __global__ void attention_backward_dot(const float* __restrict__ dout, const float* __restrict__ out,
                                                  float* __restrict__ D, AttnLayout lay, int bh, int lq, int d) {
    int lane = threadIdx.x & 31;
    long long r = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= (long long)bh * lq) return;
    int h = (int)(r / lq), i = (int)(r - (long long)h * lq);
    size_t o = attn_row(lay.o, lay.heads, h, i);
    float s = 0.0f;
    for (int c = lane; c < d; c += 32) s += dout[o + c] * out[o + c];
    s = warp_sum(s);
    if (lane == 0) D[r] = s;
}

// Block per (head, query row); dynamic shared memory: lk floats holding dS for the row.
extern "C" __global__ void attention_backward_dq_v1(const float* __restrict__ q, const float* __restrict__ k,
                                                    const float* __restrict__ v, const float* __restrict__ lse,
                                                    const float* __restrict__ D, const float* __restrict__ dout,
                                                    float* __restrict__ dq, AttnLayout lay, int bh, int lq, int lk,
                                                    int d, float scale, int overwrite) {
    extern __shared__ float ds[];
    for (long long blk64 = blockIdx.x; blk64 < (long long)bh * lq; blk64 += gridDim.x) {
        int blk = (int)blk64;
        int h = blk / lq, i = blk - h * lq;
        size_t row = (size_t)h * lq + i;
        const float* qi = q + attn_row(lay.q, lay.heads, h, i);
        const float* gi = dout + attn_row(lay.o, lay.heads, h, i);
        const float* kh = k + attn_row(lay.k, lay.heads, h, 0);
        const float* vh = v + attn_row(lay.v, lay.heads, h, 0);
        const size_t tk = lay.k.token, tv = lay.v.token;
        float L = lse[row], Di = D[row];
        for (int j = threadIdx.x; j < lk; j += blockDim.x) {
            float dot = 0.0f, dp = 0.0f;
            for (int c = 0; c < d; c++) {
                dot += qi[c] * kh[j * tk + c];
                dp += gi[c] * vh[j * tv + c];
            }
            float p = expf(dot * scale - L);
            ds[j] = p * (dp - Di);
        }
        __syncthreads();
        float* gq = dq + attn_row(lay.q, lay.heads, h, i);
        for (int c = threadIdx.x; c < d; c += blockDim.x) {
            float a = 0.0f;
            for (int j = 0; j < lk; j++) a += ds[j] * kh[j * tk + c];
            att_store(gq + c, scale * a, overwrite);
        }
        __syncthreads();
    }
}

// Block per (head, key row); dynamic shared memory: 2·lq floats (P and dS of the key's column).
extern "C" __global__ void attention_backward_dkdv_v1(const float* __restrict__ q, const float* __restrict__ k,
                                                      const float* __restrict__ v, const float* __restrict__ lse,
                                                      const float* __restrict__ D, const float* __restrict__ dout,
                                                      float* dk, float* dv, AttnLayout lay, int bh, int lq, int lk,
                                                      int d, float scale, int overwrite) {
    extern __shared__ float sh[];
    float* P = sh;
    float* dS = sh + lq;
    for (long long blk64 = blockIdx.x; blk64 < (long long)bh * lk; blk64 += gridDim.x) {
        int blk = (int)blk64;
        int h = blk / lk, j = blk - h * lk;
        const float* kj = k + attn_row(lay.k, lay.heads, h, j);
        const float* vj = v + attn_row(lay.v, lay.heads, h, j);
        const float* qh = q + attn_row(lay.q, lay.heads, h, 0);
        const float* gh = dout + attn_row(lay.o, lay.heads, h, 0);
        const size_t tq = lay.q.token, tg = lay.o.token;
        for (int i = threadIdx.x; i < lq; i += blockDim.x) {
            float dot = 0.0f, dp = 0.0f;
            for (int c = 0; c < d; c++) {
                dot += qh[i * tq + c] * kj[c];
                dp += gh[i * tg + c] * vj[c];
            }
            float p = expf(dot * scale - lse[(size_t)h * lq + i]);
            P[i] = p;
            dS[i] = p * (dp - D[(size_t)h * lq + i]);
        }
        __syncthreads();
        for (int c = threadIdx.x; c < d; c += blockDim.x) {
            float av = 0.0f, ak = 0.0f;
            for (int i = 0; i < lq; i++) {
                av += P[i] * gh[i * tg + c];
                ak += dS[i] * qh[i * tq + c];
            }
            if (dv) att_store(dv + attn_row(lay.v, lay.heads, h, j) + c, av, overwrite);
            if (dk) att_store(dk + attn_row(lay.k, lay.heads, h, j) + c, scale * ak, overwrite);
        }
        __syncthreads();
    }
}

// ------------------------------------------------------------------------------------------------ v2
// Grid: bh·ceil(lq/16) blocks of 128 threads. Dynamic shared memory (floats, AttentionCuda.forwardSharedBytes):
//   Ks [32][d|1]  Vs [32][d]  Qs [16][d]
extern "C" __global__ void __launch_bounds__(ATT_WARPS * 32)
attention_forward_v2(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                     float* __restrict__ out, float* __restrict__ lse, AttnLayout lay, int bh, int lq, int lk, int d,
                     float scale) {
    extern __shared__ float smem[];
    constexpr int BQ = ATT_WARPS * ATT_FWD_ROWS;
    const int ldk = att_odd_stride(d);
    float* Ks = smem;
    float* Vs = Ks + ATT_TILE * ldk;
    float* Qs = Vs + ATT_TILE * d;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int blocksPerHead = (lq + BQ - 1) / BQ;
    const int h = blockIdx.x / blocksPerHead, q0 = (blockIdx.x - h * blocksPerHead) * BQ;
    const float* qh = q + attn_row(lay.q, lay.heads, h, 0);
    const float* kh = k + attn_row(lay.k, lay.heads, h, 0);
    const float* vh = v + attn_row(lay.v, lay.heads, h, 0);
    const size_t tq = lay.q.token, tk = lay.k.token, tv = lay.v.token;

    for (int e = tid; e < BQ * d; e += blockDim.x) {
        int r = e / d, c = e - r * d;
        Qs[e] = q0 + r < lq ? qh[(q0 + r) * tq + c] : 0.0f;
    }

    float m[ATT_FWD_ROWS], l[ATT_FWD_ROWS], acc[ATT_FWD_ROWS][ATT_DPL];
#pragma unroll
    for (int r = 0; r < ATT_FWD_ROWS; r++) {
        m[r] = -INFINITY;
        l[r] = 0.0f;
#pragma unroll
        for (int t = 0; t < ATT_DPL; t++) acc[r][t] = 0.0f;
    }

    for (int k0 = 0; k0 < lk; k0 += ATT_TILE) {
        const int tileLen = min(ATT_TILE, lk - k0);
        __syncthreads();  // Qs written (first tile) / previous tile consumed
        for (int e = tid; e < ATT_TILE * d; e += blockDim.x) {
            int j = e / d, c = e - j * d;
            bool ok = j < tileLen;
            Ks[j * ldk + c] = ok ? kh[(k0 + j) * tk + c] : 0.0f;
            Vs[j * d + c] = ok ? vh[(k0 + j) * tv + c] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int r = 0; r < ATT_FWD_ROWS; r++) {
            if (q0 + warp * ATT_FWD_ROWS + r >= lq) continue;  // warp-uniform; no barrier inside
            const float* qr = Qs + (warp * ATT_FWD_ROWS + r) * d;
            float sj = -INFINITY;
            if (lane < tileLen) {
                const float* kr = Ks + lane * ldk;
                float dot = 0.0f;
                for (int c = 0; c < d; c++) dot += qr[c] * kr[c];
                sj = dot * scale;
            }
            const float mNew = jmaxf(m[r], warp_max(sj));
            const float p = lane < tileLen ? expf(sj - mNew) : 0.0f;
            const float corr = expf(m[r] - mNew);  // 0 on the first tile (m = -inf)
            l[r] = l[r] * corr + warp_sum(p);
#pragma unroll
            for (int t = 0; t < ATT_DPL; t++) acc[r][t] *= corr;
            for (int jj = 0; jj < tileLen; jj++) {
                const float pj = __shfl_sync(TS_FULL_MASK, p, jj);
                const float* vr = Vs + jj * d;
#pragma unroll
                for (int t = 0; t < ATT_DPL; t++) {
                    int c = lane + 32 * t;
                    if (c < d) acc[r][t] += pj * vr[c];
                }
            }
            m[r] = mNew;
        }
    }

#pragma unroll
    for (int r = 0; r < ATT_FWD_ROWS; r++) {
        int row = q0 + warp * ATT_FWD_ROWS + r;
        if (row >= lq) continue;
        float* orow = out + attn_row(lay.o, lay.heads, h, row);
#pragma unroll
        for (int t = 0; t < ATT_DPL; t++) {
            int c = lane + 32 * t;
            if (c < d) orow[c] = l[r] > 0.0f ? acc[r][t] / l[r] : 0.0f;  // l = 0 only when lk = 0
        }
        if (lane == 0) lse[(size_t)h * lq + row] = m[r] + logf(l[r]);
    }
}

// Grid: bh·ceil(lq/8) blocks of 128 threads. Dynamic shared memory (AttentionCuda.dqSharedBytes):
//   Ks [32][d|1]  Vs [32][d|1]  Qs [8][d]  Gs [8][d] (dout rows)
extern "C" __global__ void __launch_bounds__(ATT_WARPS * 32)
attention_backward_dq_v2(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                         const float* __restrict__ lse, const float* __restrict__ D,
                         const float* __restrict__ dout, float* __restrict__ dq, AttnLayout lay, int bh, int lq,
                         int lk, int d, float scale, int overwrite) {
    extern __shared__ float smem[];
    constexpr int BQ = ATT_WARPS * ATT_BWD_ROWS;
    const int ld = att_odd_stride(d);
    float* Ks = smem;
    float* Vs = Ks + ATT_TILE * ld;
    float* Qs = Vs + ATT_TILE * ld;
    float* Gs = Qs + BQ * d;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int blocksPerHead = (lq + BQ - 1) / BQ;
    const int h = blockIdx.x / blocksPerHead, q0 = (blockIdx.x - h * blocksPerHead) * BQ;
    const float* qh = q + attn_row(lay.q, lay.heads, h, 0);
    const float* gh = dout + attn_row(lay.o, lay.heads, h, 0);
    const float* kh = k + attn_row(lay.k, lay.heads, h, 0);
    const float* vh = v + attn_row(lay.v, lay.heads, h, 0);
    const size_t tq = lay.q.token, tg = lay.o.token, tk = lay.k.token, tv = lay.v.token;

    for (int e = tid; e < BQ * d; e += blockDim.x) {
        int r = e / d, c = e - r * d;
        bool ok = q0 + r < lq;
        Qs[e] = ok ? qh[(q0 + r) * tq + c] : 0.0f;
        Gs[e] = ok ? gh[(q0 + r) * tg + c] : 0.0f;
    }
    float L[ATT_BWD_ROWS], Dr[ATT_BWD_ROWS], acc[ATT_BWD_ROWS][ATT_DPL];
#pragma unroll
    for (int r = 0; r < ATT_BWD_ROWS; r++) {
        int row = q0 + warp * ATT_BWD_ROWS + r;
        L[r] = row < lq ? lse[(size_t)h * lq + row] : 0.0f;
        Dr[r] = row < lq ? D[(size_t)h * lq + row] : 0.0f;
#pragma unroll
        for (int t = 0; t < ATT_DPL; t++) acc[r][t] = 0.0f;
    }

    for (int k0 = 0; k0 < lk; k0 += ATT_TILE) {
        const int tileLen = min(ATT_TILE, lk - k0);
        __syncthreads();
        for (int e = tid; e < ATT_TILE * d; e += blockDim.x) {
            int j = e / d, c = e - j * d;
            bool ok = j < tileLen;
            Ks[j * ld + c] = ok ? kh[(k0 + j) * tk + c] : 0.0f;
            Vs[j * ld + c] = ok ? vh[(k0 + j) * tv + c] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int r = 0; r < ATT_BWD_ROWS; r++) {
            if (q0 + warp * ATT_BWD_ROWS + r >= lq) continue;  // warp-uniform
            const float* qr = Qs + (warp * ATT_BWD_ROWS + r) * d;
            const float* gr = Gs + (warp * ATT_BWD_ROWS + r) * d;
            float dsj = 0.0f;
            if (lane < tileLen) {
                const float* kr = Ks + lane * ld;
                const float* vr = Vs + lane * ld;
                float dot = 0.0f, dp = 0.0f;
                for (int c = 0; c < d; c++) {
                    dot += qr[c] * kr[c];
                    dp += gr[c] * vr[c];
                }
                float p = expf(dot * scale - L[r]);
                dsj = p * (dp - Dr[r]);
            }
            for (int jj = 0; jj < tileLen; jj++) {
                const float w = __shfl_sync(TS_FULL_MASK, dsj, jj);
                const float* kr = Ks + jj * ld;
#pragma unroll
                for (int t = 0; t < ATT_DPL; t++) {
                    int c = lane + 32 * t;
                    if (c < d) acc[r][t] += w * kr[c];
                }
            }
        }
    }

#pragma unroll
    for (int r = 0; r < ATT_BWD_ROWS; r++) {
        int row = q0 + warp * ATT_BWD_ROWS + r;
        if (row >= lq) continue;
        float* g = dq + attn_row(lay.q, lay.heads, h, row);
#pragma unroll
        for (int t = 0; t < ATT_DPL; t++) {
            int c = lane + 32 * t;
            if (c < d) att_store(g + c, scale * acc[r][t], overwrite);
        }
    }
}

// Grid: bh·ceil(lk/8) blocks of 128 threads. Dynamic shared memory (AttentionCuda.dkdvSharedBytes):
//   Qs [32][d|1]  Gs [32][d|1] (dout tile)  Ls [32]  Ds [32]  Kr [8][d]  Vr [8][d]
extern "C" __global__ void __launch_bounds__(ATT_WARPS * 32)
attention_backward_dkdv_v2(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                           const float* __restrict__ lse, const float* __restrict__ D,
                           const float* __restrict__ dout, float* dk, float* dv, AttnLayout lay, int bh, int lq,
                           int lk, int d, float scale, int overwrite) {
    extern __shared__ float smem[];
    constexpr int BK = ATT_WARPS * ATT_BWD_ROWS;
    const int ld = att_odd_stride(d);
    float* Qs = smem;
    float* Gs = Qs + ATT_TILE * ld;
    float* Ls = Gs + ATT_TILE * ld;
    float* Ds = Ls + ATT_TILE;
    float* Kr = Ds + ATT_TILE;
    float* Vr = Kr + BK * d;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int blocksPerHead = (lk + BK - 1) / BK;
    const int h = blockIdx.x / blocksPerHead, j0 = (blockIdx.x - h * blocksPerHead) * BK;
    const float* qh = q + attn_row(lay.q, lay.heads, h, 0);
    const float* gh = dout + attn_row(lay.o, lay.heads, h, 0);
    const float* kh = k + attn_row(lay.k, lay.heads, h, 0);
    const float* vh = v + attn_row(lay.v, lay.heads, h, 0);
    const size_t tq = lay.q.token, tg = lay.o.token, tk = lay.k.token, tv = lay.v.token;

    for (int e = tid; e < BK * d; e += blockDim.x) {
        int r = e / d, c = e - r * d;
        bool ok = j0 + r < lk;
        Kr[e] = ok ? kh[(j0 + r) * tk + c] : 0.0f;
        Vr[e] = ok ? vh[(j0 + r) * tv + c] : 0.0f;
    }
    float dkAcc[ATT_BWD_ROWS][ATT_DPL], dvAcc[ATT_BWD_ROWS][ATT_DPL];
#pragma unroll
    for (int r = 0; r < ATT_BWD_ROWS; r++)
#pragma unroll
        for (int t = 0; t < ATT_DPL; t++) dkAcc[r][t] = dvAcc[r][t] = 0.0f;

    for (int i0 = 0; i0 < lq; i0 += ATT_TILE) {
        const int tileLen = min(ATT_TILE, lq - i0);
        __syncthreads();
        for (int e = tid; e < ATT_TILE * d; e += blockDim.x) {
            int i = e / d, c = e - i * d;
            bool ok = i < tileLen;
            Qs[i * ld + c] = ok ? qh[(i0 + i) * tq + c] : 0.0f;
            Gs[i * ld + c] = ok ? gh[(i0 + i) * tg + c] : 0.0f;
        }
        if (tid < ATT_TILE) {
            bool ok = tid < tileLen;
            Ls[tid] = ok ? lse[(size_t)h * lq + i0 + tid] : 0.0f;
            Ds[tid] = ok ? D[(size_t)h * lq + i0 + tid] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int r = 0; r < ATT_BWD_ROWS; r++) {
            if (j0 + warp * ATT_BWD_ROWS + r >= lk) continue;  // warp-uniform
            const float* kr = Kr + (warp * ATT_BWD_ROWS + r) * d;
            const float* vr = Vr + (warp * ATT_BWD_ROWS + r) * d;
            float p = 0.0f, ds = 0.0f;
            if (lane < tileLen) {
                const float* qi = Qs + lane * ld;
                const float* gi = Gs + lane * ld;
                float dot = 0.0f, dp = 0.0f;
                for (int c = 0; c < d; c++) {
                    dot += qi[c] * kr[c];
                    dp += gi[c] * vr[c];
                }
                p = expf(dot * scale - Ls[lane]);
                ds = p * (dp - Ds[lane]);
            }
            for (int ii = 0; ii < tileLen; ii++) {
                const float pi = __shfl_sync(TS_FULL_MASK, p, ii);
                const float dsi = __shfl_sync(TS_FULL_MASK, ds, ii);
                const float* qi = Qs + ii * ld;
                const float* gi = Gs + ii * ld;
#pragma unroll
                for (int t = 0; t < ATT_DPL; t++) {
                    int c = lane + 32 * t;
                    if (c < d) {
                        dvAcc[r][t] += pi * gi[c];
                        dkAcc[r][t] += dsi * qi[c];
                    }
                }
            }
        }
    }

#pragma unroll
    for (int r = 0; r < ATT_BWD_ROWS; r++) {
        int key = j0 + warp * ATT_BWD_ROWS + r;
        if (key >= lk) continue;
        const size_t rk = attn_row(lay.k, lay.heads, h, key), rv = attn_row(lay.v, lay.heads, h, key);
#pragma unroll
        for (int t = 0; t < ATT_DPL; t++) {
            int c = lane + 32 * t;
            if (c < d) {
                if (dv) att_store(dv + rv + c, dvAcc[r][t], overwrite);
                if (dk) att_store(dk + rk + c, scale * dkAcc[r][t], overwrite);
            }
        }
    }
}
