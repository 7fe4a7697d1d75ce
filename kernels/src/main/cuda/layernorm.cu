// layernorm.cu — layer norm over the last axis (Ba et al. 2016), forward and backward.
// CPU reference: engine/.../backend/cpu/LayerNormCpu.java. Java launcher: kernels/.../LayerNormCuda.java.
//
// Shapes: x, out, dout, dx [rows, cols]; weight, bias, dweight, dbias [cols]; mean, rstd [rows].
// Forward:  μ = mean(x_r), σ² = mean((x_r − μ)²) (biased), r = 1/√(σ² + eps), out = (x − μ)·r·w + b;
//           μ and r are saved per row for backward.
// Backward (x̂ = (x − μ)·r, g = dout·w):
//           dx += r·(g − mean(g) − x̂·mean(g·x̂)),   dw += Σ_rows dout·x̂,   db += Σ_rows dout.
// Backward ACCUMULATES into dx, dw, db (engine rule); dw/db may be null (pointer 0) and are then skipped.
//
// Versions (LayerNormCuda.Variant, DEFAULT = V2):
//   v1  one thread per row (forward, dx) and one thread per column (dw/db): the CPU loops as they are.
//       Rows are read with a stride of `cols` between neighbouring threads, so loads are uncoalesced.
//   v2  one warp per row: lanes stride over the row, so each load instruction reads 128 contiguous bytes;
//       the statistics are warp shuffles (no shared memory, no __syncthreads). Two passes over the row
//       (mean, then Σ(x−μ)²) instead of E[x²]−E[x]² keeps the variance accurate; the second read hits L1/L2.
//       dw/db: a [colBlocks, rowChunks] grid of 32×8 blocks writes per-chunk partial sums, then one thread
//       per column adds the partials in chunk order — deterministic (no atomics) and well parallel even
//       for 384 columns, where one thread per column (v1) would leave most of the GPU idle.
//       Backward with dx and dw/db and at most LN_FUSED_MAX_COLS columns (every ViT up to Large) is two
//       launches: layernorm_backward_fused computes dx row by row as dx_v2 does and, while the row is in
//       registers, its lanes' dw/db contributions; each block then writes one partial per column for its
//       chunk of rows, and dwdb_finish adds the chunks as above. Four launches per norm became two.
//
// Build: part of tessera_kernels.cu.
#include "common.cuh"

// ------------------------------------------------------------------------------------------------ v1
extern "C" __global__ void layernorm_forward_v1(const float* __restrict__ x, const float* __restrict__ w,
                                                const float* __restrict__ b, float* __restrict__ out,
                                                float* __restrict__ mean, float* __restrict__ rstd, int rows,
                                                int cols, float eps) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const float* xr = x + (size_t)r * cols;
    float s = 0.0f;
    for (int c = 0; c < cols; c++) s += xr[c];
    float mu = s / cols, v = 0.0f;
    for (int c = 0; c < cols; c++) {
        float d = xr[c] - mu;
        v += d * d;
    }
    float rs = 1.0f / sqrtf(v / cols + eps);
    float* yr = out + (size_t)r * cols;
    for (int c = 0; c < cols; c++) yr[c] = (xr[c] - mu) * rs * w[c] + b[c];
    mean[r] = mu;
    rstd[r] = rs;
}

extern "C" __global__ void layernorm_backward_dx_v1(const float* __restrict__ dout, const float* __restrict__ x,
                                                    const float* __restrict__ w, const float* __restrict__ mean,
                                                    const float* __restrict__ rstd, float* __restrict__ dx,
                                                    int rows, int cols) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    size_t base = (size_t)r * cols;
    float mu = mean[r], rs = rstd[r], sg = 0.0f, sgx = 0.0f;
    for (int c = 0; c < cols; c++) {
        float g = dout[base + c] * w[c];
        sg += g;
        sgx += g * (x[base + c] - mu) * rs;
    }
    sg /= cols;
    sgx /= cols;
    for (int c = 0; c < cols; c++) {
        float g = dout[base + c] * w[c], xh = (x[base + c] - mu) * rs;
        dx[base + c] += rs * (g - sg - xh * sgx);
    }
}

extern "C" __global__ void layernorm_backward_dwdb_v1(const float* __restrict__ dout, const float* __restrict__ x,
                                                      const float* __restrict__ mean,
                                                      const float* __restrict__ rstd, float* dw, float* db, int rows,
                                                      int cols) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    float sw = 0.0f, sb = 0.0f;
    for (int r = 0; r < rows; r++) {
        float d = dout[(size_t)r * cols + c];
        sw += d * (x[(size_t)r * cols + c] - mean[r]) * rstd[r];
        sb += d;
    }
    if (dw) dw[c] += sw;
    if (db) db[c] += sb;
}

// ------------------------------------------------------------------------------------------------ v2
// blockDim.x/32 rows per block, one warp each.
extern "C" __global__ void layernorm_forward_v2(const float* __restrict__ x, const float* __restrict__ w,
                                                const float* __restrict__ b, float* __restrict__ out,
                                                float* __restrict__ mean, float* __restrict__ rstd, int rows,
                                                int cols, float eps) {
    int lane = threadIdx.x & 31;
    int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= rows) return;  // warp-uniform, and there is no block-level barrier below
    const float* xr = x + (size_t)r * cols;
    float s = 0.0f;
    for (int c = lane; c < cols; c += 32) s += xr[c];
    float mu = warp_sum(s) / cols;
    float v = 0.0f;
    for (int c = lane; c < cols; c += 32) {
        float d = xr[c] - mu;
        v += d * d;
    }
    float rs = 1.0f / sqrtf(warp_sum(v) / cols + eps);
    float* yr = out + (size_t)r * cols;
    for (int c = lane; c < cols; c += 32) yr[c] = (xr[c] - mu) * rs * w[c] + b[c];
    if (lane == 0) {
        mean[r] = mu;
        rstd[r] = rs;
    }
}

extern "C" __global__ void layernorm_backward_dx_v2(const float* __restrict__ dout, const float* __restrict__ x,
                                                    const float* __restrict__ w, const float* __restrict__ mean,
                                                    const float* __restrict__ rstd, float* __restrict__ dx,
                                                    int rows, int cols) {
    int lane = threadIdx.x & 31;
    int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= rows) return;
    size_t base = (size_t)r * cols;
    float mu = mean[r], rs = rstd[r], sg = 0.0f, sgx = 0.0f;
    for (int c = lane; c < cols; c += 32) {
        float g = dout[base + c] * w[c];
        sg += g;
        sgx += g * (x[base + c] - mu) * rs;
    }
    sg = warp_sum(sg) / cols;
    sgx = warp_sum(sgx) / cols;
    for (int c = lane; c < cols; c += 32) {
        float g = dout[base + c] * w[c], xh = (x[base + c] - mu) * rs;
        dx[base + c] += rs * (g - sg - xh * sgx);
    }
}

// Block (32, 8): threadIdx.x picks the column inside a 32-wide strip (coalesced), threadIdx.y the row phase.
// Block (strip, chunk) covers rows [chunk·rowsPerChunk, +rowsPerChunk) and writes
// partialW/partialB[chunk·cols + c]. The 8 row phases are combined in a fixed order, so the result is
// deterministic.
extern "C" __global__ void layernorm_backward_dwdb_partial(const float* __restrict__ dout,
                                                           const float* __restrict__ x,
                                                           const float* __restrict__ mean,
                                                           const float* __restrict__ rstd,
                                                           float* __restrict__ partialW, float* __restrict__ partialB,
                                                           int rows, int cols, int rowsPerChunk) {
    __shared__ float sw[8][33], sb[8][33];  // 33: the column-wise reads below hit distinct banks
    int c = blockIdx.x * 32 + threadIdx.x;
    int r0 = blockIdx.y * rowsPerChunk, r1 = min(rows, r0 + rowsPerChunk);
    float aw = 0.0f, ab = 0.0f;
    if (c < cols) {
        for (int r = r0 + threadIdx.y; r < r1; r += 8) {
            float d = dout[(size_t)r * cols + c];
            aw += d * (x[(size_t)r * cols + c] - mean[r]) * rstd[r];
            ab += d;
        }
    }
    sw[threadIdx.y][threadIdx.x] = aw;
    sb[threadIdx.y][threadIdx.x] = ab;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float tw = 0.0f, tb = 0.0f;
        for (int t = 0; t < 8; t++) {
            tw += sw[t][threadIdx.x];
            tb += sb[t][threadIdx.x];
        }
        partialW[(size_t)blockIdx.y * cols + c] = tw;
        partialB[(size_t)blockIdx.y * cols + c] = tb;
    }
}

// One thread per column: dw[c] += Σ_chunk partialW[chunk·cols + c] in chunk order (likewise db).
extern "C" __global__ void layernorm_backward_dwdb_finish(const float* __restrict__ partialW,
                                                          const float* __restrict__ partialB, float* dw, float* db,
                                                          int chunks, int cols) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    float tw = 0.0f, tb = 0.0f;
    for (int t = 0; t < chunks; t++) {
        tw += partialW[(size_t)t * cols + c];
        tb += partialB[(size_t)t * cols + c];
    }
    if (dw) dw[c] += tw;
    if (db) db[c] += tb;
}

// ------------------------------------------------------------------------------------------------ fused dx + dw/db

// Lane l of a warp owns columns l, l + 32, …: up to 32 per lane, so cols ≤ 1024 (ViT-L's width).
#define LN_FUSED_MAX_COLS 1024
#define LN_FUSED_WARPS 8

// Block of LN_FUSED_WARPS warps covers rows [blockIdx.x·rowsPerChunk, +rowsPerChunk); warp w takes rows
// r0 + w, r0 + w + 8, … . For each row: dx += r·(g − mean(g) − x̂·mean(g·x̂)) with the same operations in the
// same order as layernorm_backward_dx_v2, and each lane adds
// dout·x̂ and dout of its columns to per-lane registers. The warps' sums are then combined through shared memory
// in warp order (deterministic, no atomics) and written to partialW/partialB[blockIdx.x·cols + c].
extern "C" __global__ void layernorm_backward_fused(const float* __restrict__ dout, const float* __restrict__ x,
                                                   const float* __restrict__ w, const float* __restrict__ mean,
                                                   const float* __restrict__ rstd, float* __restrict__ dx,
                                                   float* __restrict__ partialW, float* __restrict__ partialB,
                                                   int rows, int cols, int rowsPerChunk) {
    __shared__ float sw[LN_FUSED_MAX_COLS], sb[LN_FUSED_MAX_COLS];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int r0 = blockIdx.x * rowsPerChunk, r1 = min(rows, r0 + rowsPerChunk);
    float aw[LN_FUSED_MAX_COLS / 32], ab[LN_FUSED_MAX_COLS / 32];
#pragma unroll
    for (int j = 0; j < LN_FUSED_MAX_COLS / 32; j++) {
        aw[j] = 0.0f;
        ab[j] = 0.0f;
    }
    for (int r = r0 + warp; r < r1; r += LN_FUSED_WARPS) {
        size_t base = (size_t)r * cols;
        float mu = mean[r], rs = rstd[r], sg = 0.0f, sgx = 0.0f;
        for (int c = lane; c < cols; c += 32) {
            float g = dout[base + c] * w[c];
            sg += g;
            sgx += g * (x[base + c] - mu) * rs;
        }
        sg = warp_sum(sg) / cols;
        sgx = warp_sum(sgx) / cols;
#pragma unroll
        for (int j = 0; j < LN_FUSED_MAX_COLS / 32; j++) {
            int c = lane + 32 * j;
            if (c < cols) {
                float d = dout[base + c], g = d * w[c], xh = (x[base + c] - mu) * rs;
                dx[base + c] += rs * (g - sg - xh * sgx);
                aw[j] += d * xh;
                ab[j] += d;
            }
        }
    }
    for (int k = 0; k < LN_FUSED_WARPS; k++) {
        if (warp == k) {
#pragma unroll
            for (int j = 0; j < LN_FUSED_MAX_COLS / 32; j++) {
                int c = lane + 32 * j;
                if (c < cols) {
                    sw[c] = k == 0 ? aw[j] : sw[c] + aw[j];
                    sb[c] = k == 0 ? ab[j] : sb[c] + ab[j];
                }
            }
        }
        __syncthreads();
    }
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        partialW[(size_t)blockIdx.x * cols + c] = sw[c];
        partialB[(size_t)blockIdx.x * cols + c] = sb[c];
    }
}
