// gemm.cu — our own SGEMM, the fallback when cuBLAS cannot be loaded (JCublas2 12.6 needs libcublas.so.12,
// which CUDA 13 machines lack) and the readable lesson of how a GEMM gets fast.
// CPU reference: engine/.../backend/cpu/SgemmScalar.java (Sgemm.java batches it). Launcher: GemmCuda.java.
//
// For every b in [0, batch):  C_b = alpha·op(A_b)·op(B_b) + beta·C_b, row-major,
//   op(A_b) [m, k]: A_b = A + b·aBatchStride, stored [m, k] (lda = k) or, with transA, [k, m] (lda = m)
//   op(B_b) [k, n]: B_b = B + b·bBatchStride, stored [k, n] (ldb = n) or, with transB, [n, k] (ldb = k)
//   C_b     [m, n]: C + b·m·n, contiguous.
// A batch stride of 0 shares one matrix across the batch (a weight used by every sample). When beta == 0,
// C is not read (it may hold NaN garbage), exactly like SgemmScalar and BLAS.
// The batch index runs over blockIdx.z with a grid-stride loop, so batches beyond 65535 work.
//
// Versions (GemmCuda.Variant; GemmCuda.choose picks v2 or v3 by how many tiles fill the GPU):
//   v1 gemm_v1     one thread per C element, a k-loop reading A and B from global memory: the definition.
//                  Every A and B element is re-read from memory n (resp. m) times; ~1-2% of peak.
//   v2 gemm_v2     64×64 C tile per 256-thread block, k in steps of 16 staged through shared memory, each
//                  thread computes a 4×4 register block. Each loaded element is now reused 64 times from
//                  shared memory and 4 times from registers, so the kernel becomes compute-bound.
//   v3 gemm_v3     the same code with 128×128 tiles, k-step 8 and an 8×8 register block per thread: twice the
//                  reuse per shared-memory load (8 FMAs per loaded pair instead of 4). Fastest on large
//                  matrices; v2 wins when 128×128 tiles would leave SMs idle (small m·n·batch).
// Both tiled versions zero-pad partial tiles, so any m, n, k (including k = 0) works, and use float4 reads
// of the staged tiles (16-byte aligned rows) to avoid shared-memory bank conflicts.
// Accumulation is float FMAs in k order per output, so results match the CPU within k·ε-scaled tolerance
// (see GemmCudaParityTest); all versions are deterministic.
//
// Build: part of tessera_kernels.cu.
#include "common.cuh"

__device__ __forceinline__ float gemm_a(const float* A, int transA, int m, int k, int i, int p) {
    return transA ? A[(size_t)p * m + i] : A[(size_t)i * k + p];
}

__device__ __forceinline__ float gemm_b(const float* B, int transB, int n, int k, int p, int j) {
    return transB ? B[(size_t)j * k + p] : B[(size_t)p * n + j];
}

extern "C" __global__ void gemm_v1(int transA, int transB, int batch, int m, int n, int k, float alpha,
                                   const float* __restrict__ A, int aBatchStride, const float* __restrict__ B,
                                   int bBatchStride, float beta, float* __restrict__ C) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    int i = blockIdx.y * blockDim.y + threadIdx.y;
    if (i >= m || j >= n) return;
    for (int b = blockIdx.z; b < batch; b += gridDim.z) {
        const float* Ab = A + (size_t)b * aBatchStride;
        const float* Bb = B + (size_t)b * bBatchStride;
        float* Cb = C + (size_t)b * m * n;
        float acc = 0.0f;
        for (int p = 0; p < k; p++) acc += gemm_a(Ab, transA, m, k, i, p) * gemm_b(Bb, transB, n, k, p, j);
        size_t c = (size_t)i * n + j;
        Cb[c] = (beta == 0.0f ? 0.0f : beta * Cb[c]) + alpha * acc;
    }
}

// The tiled kernel, shared by v2 and v3. BM×BN tile of C per block, BK-deep k slices, TM×TN outputs per
// thread; (BM/TM)·(BN/TN) threads, which must be 256 for the load loops below.
// ROWSUM (gemm_wgrad_*, batch 1): the blocks of the first column tile also write rowsum[i] (+)= Σ_p op(A)[i][p]
// from the A tiles they stage anyway — a block runs over all of k for its rows, so the sum needs no second pass.
template <int BM, int BN, int BK, int TM, int TN, bool ROWSUM = false>
__device__ __forceinline__ void gemm_tiled(int transA, int transB, int batch, int m, int n, int k, float alpha,
                                           const float* __restrict__ A, int aBatchStride,
                                           const float* __restrict__ B, int bBatchStride, float beta,
                                           float* __restrict__ C, const float* __restrict__ bias = nullptr,
                                           float* __restrict__ pre = nullptr, int gelu = 0,
                                           float* __restrict__ rowsum = nullptr, int rowsumAdd = 0) {
    constexpr int THREADS = (BM / TM) * (BN / TN);
    static_assert(THREADS == 256, "tile shape must give 256 threads");
    static_assert(TM % 4 == 0 && TN % 4 == 0, "float4 reads of the staged tiles");
    // As is stored transposed ([p][i]) so the inner loop reads TM consecutive rows of op(A) for one p.
    // Row length BM+4 / BN+4 keeps rows 16-byte aligned for float4 reads and skews banks for the stores.
    __shared__ __align__(16) float As[BK][BM + 4];
    __shared__ __align__(16) float Bs[BK][BN + 4];

    const int tid = threadIdx.x;
    const int tx = tid % (BN / TN), ty = tid / (BN / TN);
    const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;

    for (int b = blockIdx.z; b < batch; b += gridDim.z) {
        const float* Ab = A + (size_t)b * aBatchStride;
        const float* Bb = B + (size_t)b * bBatchStride;
        float* Cb = C + (size_t)b * m * n;

        float acc[TM][TN];
#pragma unroll
        for (int r = 0; r < TM; r++)
#pragma unroll
            for (int c = 0; c < TN; c++) acc[r][c] = 0.0f;
        // Thread tid < BM of a first-column block sums row tid of op(A) in k order (padding adds exact zeros).
        const bool sumsRow = ROWSUM && blockIdx.x == 0 && tid < BM;
        float rs = 0.0f;

        for (int k0 = 0; k0 < k; k0 += BK) {
            // Stage op(A)[row0.., k0..] and op(B)[k0.., col0..]. The element order of each loop follows the
            // stored layout so consecutive threads read consecutive addresses (coalesced) in all four
            // transpose combinations; out-of-range elements become 0 so partial tiles need no special case.
#pragma unroll
            for (int e = tid; e < BM * BK; e += THREADS) {
                int i, p;
                if (transA) { p = e / BM; i = e % BM; } else { i = e / BK; p = e % BK; }
                int gi = row0 + i, gp = k0 + p;
                As[p][i] = (gi < m && gp < k) ? gemm_a(Ab, transA, m, k, gi, gp) : 0.0f;
            }
#pragma unroll
            for (int e = tid; e < BN * BK; e += THREADS) {
                int j, p;
                if (transB) { j = e / BK; p = e % BK; } else { p = e / BN; j = e % BN; }
                int gj = col0 + j, gp = k0 + p;
                Bs[p][j] = (gj < n && gp < k) ? gemm_b(Bb, transB, n, k, gp, gj) : 0.0f;
            }
            __syncthreads();
            if (sumsRow) {
#pragma unroll
                for (int p = 0; p < BK; p++) rs += As[p][tid];
            }
#pragma unroll
            for (int p = 0; p < BK; p++) {
                float a[TM], bv[TN];
#pragma unroll
                for (int r = 0; r < TM; r += 4) {
                    float4 q = *reinterpret_cast<const float4*>(&As[p][ty * TM + r]);
                    a[r] = q.x; a[r + 1] = q.y; a[r + 2] = q.z; a[r + 3] = q.w;
                }
#pragma unroll
                for (int c = 0; c < TN; c += 4) {
                    float4 q = *reinterpret_cast<const float4*>(&Bs[p][tx * TN + c]);
                    bv[c] = q.x; bv[c + 1] = q.y; bv[c + 2] = q.z; bv[c + 3] = q.w;
                }
#pragma unroll
                for (int r = 0; r < TM; r++)
#pragma unroll
                    for (int c = 0; c < TN; c++) acc[r][c] += a[r] * bv[c];
            }
            __syncthreads();  // the next k slice overwrites As/Bs
        }

#pragma unroll
        for (int r = 0; r < TM; r++) {
            int gi = row0 + ty * TM + r;
            if (gi >= m) continue;
#pragma unroll
            for (int c = 0; c < TN; c++) {
                int gj = col0 + tx * TN + c;
                if (gj >= n) continue;
                size_t o = (size_t)gi * n + gj;
                float val = (beta == 0.0f ? 0.0f : beta * Cb[o]) + alpha * acc[r][c];
                if (bias != nullptr) val = bias[gj] + val;          // the epilogue (gemm_epilogue_*): + bias[col]
                if (gelu) {                                          // GELU, keeping the pre-activation for backward
                    pre[(size_t)b * m * n + o] = val;
                    val = gelu_exact(val);
                }
                Cb[o] = val;
            }
        }
        if (sumsRow && row0 + tid < m) rowsum[row0 + tid] = rowsumAdd ? rowsum[row0 + tid] + rs : rs;
    }
}

extern "C" __global__ void __launch_bounds__(256, 2) gemm_v2(int transA, int transB, int batch, int m, int n, int k,
                                                          float alpha, const float* __restrict__ A,
                                                          int aBatchStride, const float* __restrict__ B,
                                                          int bBatchStride, float beta, float* __restrict__ C) {
    gemm_tiled<64, 64, 16, 4, 4>(transA, transB, batch, m, n, k, alpha, A, aBatchStride, B, bBatchStride, beta, C);
}

extern "C" __global__ void __launch_bounds__(256) gemm_v3(int transA, int transB, int batch, int m, int n, int k,
                                                          float alpha, const float* __restrict__ A,
                                                          int aBatchStride, const float* __restrict__ B,
                                                          int bBatchStride, float beta, float* __restrict__ C) {
    gemm_tiled<128, 128, 8, 8, 8>(transA, transB, batch, m, n, k, alpha, A, aBatchStride, B, bBatchStride, beta, C);
}

// A Linear's forward with its epilogue fused (Backend.matmulEpilogue): C = A·op(B) + bias[col], then optionally
// pre = that and C = GELU(pre) — the bias broadcast copy and the separate GELU map of the unfused form folded into
// the store of the tile, so a Linear is one launch and an MLP's fc1 → GELU too. bias may be null; pre is written
// only when gelu is set. alpha and beta as above (the engine passes 1 and 0).
extern "C" __global__ void __launch_bounds__(256, 2) gemm_epilogue_v2(int transA, int transB, int batch, int m, int n, int k,
                                                                   float alpha, const float* __restrict__ A,
                                                                   int aBatchStride, const float* __restrict__ B,
                                                                   int bBatchStride, float beta, float* __restrict__ C,
                                                                   const float* __restrict__ bias, float* __restrict__ pre,
                                                                   int gelu) {
    gemm_tiled<64, 64, 16, 4, 4>(transA, transB, batch, m, n, k, alpha, A, aBatchStride, B, bBatchStride, beta, C, bias,
                                 pre, gelu);
}

extern "C" __global__ void __launch_bounds__(256) gemm_epilogue_v3(int transA, int transB, int batch, int m, int n, int k,
                                                                   float alpha, const float* __restrict__ A,
                                                                   int aBatchStride, const float* __restrict__ B,
                                                                   int bBatchStride, float beta, float* __restrict__ C,
                                                                   const float* __restrict__ bias, float* __restrict__ pre,
                                                                   int gelu) {
    gemm_tiled<128, 128, 8, 8, 8>(transA, transB, batch, m, n, k, alpha, A, aBatchStride, B, bBatchStride, beta, C, bias,
                                  pre, gelu);
}

// A Linear's weight and bias gradients in one launch (Backend.matmulWeightGrad): dW = Gᵀ·X (+ beta·dW) with
// G [k, m] (the output gradient, k = tokens) and X [k, n] (the input), and db[i] = Σ_p G[p, i] written (dbAdd 0) or
// added (dbAdd 1) by the first column of blocks from the G tiles they stage for the product: the bias gradient's
// column_sums_add launch folded into the GEMM. Deterministic (each db element is one thread's k-ordered float sum).
extern "C" __global__ void __launch_bounds__(256, 2) gemm_wgrad_v2(int m, int n, int k, const float* __restrict__ G,
                                                                const float* __restrict__ X, float beta,
                                                                float* __restrict__ dW, float* __restrict__ db, int dbAdd) {
    gemm_tiled<64, 64, 16, 4, 4, true>(1, 0, 1, m, n, k, 1.0f, G, 0, X, 0, beta, dW, nullptr, nullptr, 0, db, dbAdd);
}

extern "C" __global__ void __launch_bounds__(256) gemm_wgrad_v3(int m, int n, int k, const float* __restrict__ G,
                                                                const float* __restrict__ X, float beta,
                                                                float* __restrict__ dW, float* __restrict__ db, int dbAdd) {
    gemm_tiled<128, 128, 8, 8, 8, true>(1, 0, 1, m, n, k, 1.0f, G, 0, X, 0, beta, dW, nullptr, nullptr, 0, db, dbAdd);
}
