// gemm_mma.cu — the tensor-core rungs of the GEMM ladder (gemm.cu holds v1–v3, kept as reference and as the
// fallback for GPUs and shapes these do not cover). Launcher: GemmMmaCuda.java. CPU reference: SgemmScalar
// on bf16-rounded inputs (GemmMmaCudaParityTest rounds them with Bf16.round).
//
// Same contract as gemm.cu: for every b < batch, C_b = alpha·op(A_b)·op(B_b) + beta·C_b, row-major, op(A_b)
// [m, k] stored [m][k] or (transA) [k][m], op(B_b) [k, n] stored [k][n] or (transB) [n][k], A_b = A +
// b·aBatchStride (0 = one matrix shared by the batch), C_b = C + b·m·n, C not read when beta == 0. The
// layout is part of the kernel name (suffix nn, nt, tn, tt = transA, transB), so each is compiled with its
// loads and ldmatrix variants fixed.
//
// Why faster than v3: v3 issues one fp32 FMA per multiply-add on the CUDA cores (~67 TFLOP/s on an H100
// SXM, less in practice); mma.sync.m16n8k16.bf16 makes a warp do 2048 multiply-adds per instruction on the
// tensor cores (dense bf16 peak ~989 TFLOP/s with wgmma, roughly 60–70% of it reachable with mma.sync). The
// inputs are rounded to bf16 (8 significant bits: relative error ≤ 2⁻⁸ per input), products and sums are
// fp32, as in torch.autocast(bfloat16).
//
// Structure (one 128×128 tile of C per block, 256 threads = 8 warps in a 2×4 grid, 64×32 per warp):
//   * k runs in BK-deep slices through a STAGES-deep ring of shared-memory stages filled by cp.async
//     (mma_tiles.cuh): while the warps multiply slice kt, the copies of slices kt+1 … kt+STAGES-1 are in
//     flight, hiding global-memory latency without extra warps. One __syncthreads per slice.
//   * per 16-deep step a warp loads its A fragments (4 × ldmatrix.x4: 64 rows) and B fragments (2 × x4: 32
//     columns) from XOR-swizzled tiles (conflict-free, see mma_tiles.cuh) and issues 4×4 mma.sync.
//   * tiles mirror the stored layout; [m][k] / [n][k] operands are read with ldmatrix, [k][m] / [k][n] ones
//     with ldmatrix.trans, so all four layouts run at the same speed and load coalesced.
//   * tails in m, n and k are zero-filled by the copies (zeros add nothing); the epilogue stores only the
//     valid part of the tile. Leading dimensions or pointers that are not 16-byte aligned (odd k, sliced
//     buffers) fall back to element loads into the same tiles.
// Three variants (A and B storage, tensor-core type):
//   gemm_mma_bf16_xx    fp32 in global memory (the engine today): cp.async into an fp32 staging ring
//                       (BK 16, 4 stages), converted to bf16 by the thread that copied each chunk — see
//                       "FP32 STORAGE" in mma_tiles.cuh — into a double-buffered bf16 tile. 80 KiB smem.
//   gemm_mma_bf16in_xx  bf16 in global memory (activations stored in bf16): cp.async straight into the bf16
//                       ring (BK 32, 4 stages). 64 KiB smem, half the global bytes.
//   gemm_mma_tf32_xx    fp32 in global memory, TF32 tensor cores (mma.sync.m16n8k8.tf32, 10-bit mantissas:
//                       relative error ≤ 2⁻¹¹ per input, what cuBLAS's TF32 mode does): cp.async straight into
//                       PADDED fp32 tiles (BK 16, 4 stages, 68–80 KiB), each fragment element read with one
//                       32-bit lds and rounded by cvt.rna.tf32. ldmatrix moves 16-bit elements, so it cannot
//                       transpose 32-bit ones; padding the rows (k-major rows of 16 + 4 floats, m/n-major rows
//                       of 128 + 8) puts the 32 lanes of every fragment load in 32 different banks instead.
// C is fp32 in all three. Accumulation per output: fp32 across 16-deep (tf32: 8-deep) mma steps (inside one step
// the tensor core's own order), deterministic run to run.
//
// Build: part of tessera_kernels.cu; sm_80+ (mma.sync bf16, ldmatrix, cp.async). Shared memory above 48 KiB
// is opted into by the launcher (cuFuncSetAttribute); every configuration fits the 99 KiB of sm_86/sm_89.
#include "common.cuh"
#include "mma_tiles.cuh"

#define GEMM_MMA_THREADS 256
#define GEMM_MMA_TILE 128

// The per-block state of one product: tile geometry and where the stages live.
template <class T, int BK, int STAGES, bool TA, bool TB, bool TF32 = false>
struct GemmMma {
    static constexpr bool KA = !TA;                          // A stored [m][k]: k contiguous
    static constexpr bool KB = TB;                           // B stored [n][k]: k contiguous
    static constexpr int A_ROWS = KA ? GEMM_MMA_TILE : BK, A_COLS = KA ? BK : GEMM_MMA_TILE;
    static constexpr int B_ROWS = KB ? GEMM_MMA_TILE : BK, B_COLS = KB ? BK : GEMM_MMA_TILE;
    static constexpr int TILE = GEMM_MMA_TILE * BK;          // elements of one operand tile
    static constexpr bool CONVERT = sizeof(T) == 4 && !TF32;  // bf16 from fp32: staged, then converted
    // tf32: padded fp32 tiles, rows of COLS + 4 (k-major, COLS = BK) or COLS + 8 (m/n-major, COLS = 128)
    static constexpr int A_LD = A_COLS + (KA ? 4 : 8), B_LD = B_COLS + (KB ? 4 : 8);
    static constexpr int TF32_STAGE = A_ROWS * A_LD + B_ROWS * B_LD;

    // bf16 storage: STAGES × (A, B) bf16 tiles. fp32 storage: STAGES × (A, B) fp32 staging + 2 × (A, B) bf16.
    // tf32: STAGES × padded (A, B) fp32 tiles.
    static constexpr int SHARED_BYTES = TF32 ? STAGES * TF32_STAGE * 4
                                        : CONVERT ? STAGES * 2 * TILE * 4 + 2 * 2 * TILE * 2 : STAGES * 2 * TILE * 2;

    MmaMatrix<T> a, b;
    bool vecA, vecB;
    unsigned char* smem;

    __device__ bf16_t* tileA(int buf) const { return reinterpret_cast<bf16_t*>(smem + (CONVERT ? STAGES * 2 * TILE * 4 : 0)) + 2 * buf * TILE; }
    __device__ bf16_t* tileB(int buf) const { return tileA(buf) + TILE; }
    __device__ float* stageA(int s) const { return reinterpret_cast<float*>(smem) + 2 * s * TILE; }
    __device__ float* stageB(int s) const { return stageA(s) + TILE; }
    __device__ float* tf32A(int s) const { return reinterpret_cast<float*>(smem) + s * TF32_STAGE; }
    __device__ float* tf32B(int s) const { return tf32A(s) + A_ROWS * A_LD; }

    // Queues the copies of k-slice kt (rows i0.. of op(A), columns j0.. of op(B)) into stage slot s.
    __device__ void issue(int kt, int s, int i0, int j0) const {
        int k0 = kt * BK;
        if constexpr (TF32) {
            mma_stage_f32<A_ROWS, A_COLS, GEMM_MMA_THREADS, A_LD>(tf32A(s), a, KA ? i0 : k0, KA ? k0 : i0, vecA);
            mma_stage_f32<B_ROWS, B_COLS, GEMM_MMA_THREADS, B_LD>(tf32B(s), b, KB ? j0 : k0, KB ? k0 : j0, vecB);
        } else if constexpr (CONVERT) {
            mma_stage_f32<A_ROWS, A_COLS, GEMM_MMA_THREADS>(stageA(s), a, KA ? i0 : k0, KA ? k0 : i0, vecA);
            mma_stage_f32<B_ROWS, B_COLS, GEMM_MMA_THREADS>(stageB(s), b, KB ? j0 : k0, KB ? k0 : j0, vecB);
        } else {
            mma_stage_bf16<A_ROWS, A_COLS, GEMM_MMA_THREADS>(tileA(s), a, KA ? i0 : k0, KA ? k0 : i0, vecA);
            mma_stage_bf16<B_ROWS, B_COLS, GEMM_MMA_THREADS>(tileB(s), b, KB ? j0 : k0, KB ? k0 : j0, vecB);
        }
    }

    // acc[mi][ni] += the warp's 64×32 block of A·B over one BK slice held in bf16 tiles ta, tb.
    __device__ void multiply(float (&acc)[4][4][4], const bf16_t* ta, const bf16_t* tb, int wm, int wn) const {
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            uint32_t af[4][4], bf[4][2];
#pragma unroll
            for (int mi = 0; mi < 4; mi++) mma_frag_a<A_COLS, KA>(af[mi], ta, wm * 64 + mi * 16, kk);
#pragma unroll
            for (int nj = 0; nj < 2; nj++) {
                uint32_t b4[4];
                mma_frag_b2<B_COLS, KB>(b4, tb, kk, wn * 32 + nj * 16);
                bf[2 * nj][0] = b4[0];
                bf[2 * nj][1] = b4[1];
                bf[2 * nj + 1][0] = b4[2];
                bf[2 * nj + 1][1] = b4[3];
            }
#pragma unroll
            for (int mi = 0; mi < 4; mi++)
#pragma unroll
                for (int ni = 0; ni < 4; ni++) tc_mma_bf16(acc[mi][ni], af[mi], bf[ni]);
        }
    }

    // The tf32 version of multiply over stage s: fragments element by element from the padded tiles.
    __device__ void multiplyTf32(float (&acc)[4][4][4], int s, int wm, int wn) const {
        const float* ta = tf32A(s);
        const float* tb = tf32B(s);
        const int g = (threadIdx.x & 31) >> 2, t = threadIdx.x & 3;
        auto A = [&](int m, int k) { return ta[KA ? m * A_LD + k : k * A_LD + m]; };
        auto B = [&](int k, int n) { return tb[KB ? n * B_LD + k : k * B_LD + n]; };
#pragma unroll
        for (int kk = 0; kk < BK; kk += 8) {
            uint32_t af[4][4], bf[4][2];
#pragma unroll
            for (int mi = 0; mi < 4; mi++) {  // a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4)
                int m = wm * 64 + mi * 16 + g;
                af[mi][0] = tc_tf32(A(m, kk + t));
                af[mi][1] = tc_tf32(A(m + 8, kk + t));
                af[mi][2] = tc_tf32(A(m, kk + t + 4));
                af[mi][3] = tc_tf32(A(m + 8, kk + t + 4));
            }
#pragma unroll
            for (int ni = 0; ni < 4; ni++) {  // b0 (t, g), b1 (t+4, g)
                int n = wn * 32 + ni * 8 + g;
                bf[ni][0] = tc_tf32(B(kk + t, n));
                bf[ni][1] = tc_tf32(B(kk + t + 4, n));
            }
#pragma unroll
            for (int mi = 0; mi < 4; mi++)
#pragma unroll
                for (int ni = 0; ni < 4; ni++) tc_mma_tf32(acc[mi][ni], af[mi], bf[ni]);
        }
    }
};

template <class T, int BK, int STAGES, bool TA, bool TB, bool TF32 = false>
__device__ __forceinline__ void gemm_mma(int batch, int m, int n, int k, float alpha, const T* __restrict__ A,
                                         int aBatchStride, const T* __restrict__ B, int bBatchStride, float beta,
                                         float* __restrict__ C) {
    using G = GemmMma<T, BK, STAGES, TA, TB, TF32>;
    static_assert(STAGES >= 3, "at least two slices in flight while one is multiplied");
    extern __shared__ __align__(128) unsigned char gemm_mma_smem[];
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int wm = warp >> 2, wn = warp & 3;                 // 2 × 4 warps, 64 × 32 each
    const int i0 = blockIdx.y * GEMM_MMA_TILE, j0 = blockIdx.x * GEMM_MMA_TILE;
    const int kTiles = (k + BK - 1) / BK;
    const bool stridesAligned = ((long)aBatchStride * sizeof(T)) % 16 == 0 && ((long)bBatchStride * sizeof(T)) % 16 == 0;

    for (int bt = blockIdx.z; bt < batch; bt += gridDim.z) {
        G g;
        g.smem = gemm_mma_smem;
        g.a = G::KA ? MmaMatrix<T>{A + (size_t)bt * aBatchStride, k, m, k} : MmaMatrix<T>{A + (size_t)bt * aBatchStride, m, k, m};
        g.b = G::KB ? MmaMatrix<T>{B + (size_t)bt * bBatchStride, k, n, k} : MmaMatrix<T>{B + (size_t)bt * bBatchStride, n, k, n};
        g.vecA = stridesAligned && mma_chunks_aligned(A, g.a.ld, sizeof(T));
        g.vecB = stridesAligned && mma_chunks_aligned(B, g.b.ld, sizeof(T));

        float acc[4][4][4];
#pragma unroll
        for (int mi = 0; mi < 4; mi++)
#pragma unroll
            for (int ni = 0; ni < 4; ni++)
#pragma unroll
                for (int q = 0; q < 4; q++) acc[mi][ni][q] = 0.0f;

        // Prologue: slices 0 … STAGES-2 in flight (one commit group each, empty past the end of k).
#pragma unroll
        for (int s = 0; s < STAGES - 1; s++) {
            if (s < kTiles) g.issue(s, s, i0, j0);
            tc_cp_async_commit();
        }
        for (int kt = 0; kt < kTiles; kt++) {
            tc_cp_async_wait<STAGES - 2>();                  // slice kt has landed (this thread's copies)
            if constexpr (G::CONVERT) {
                mma_convert_own<G::A_ROWS, G::A_COLS, GEMM_MMA_THREADS>(g.tileA(kt & 1), g.stageA(kt % STAGES));
                mma_convert_own<G::B_ROWS, G::B_COLS, GEMM_MMA_THREADS>(g.tileB(kt & 1), g.stageB(kt % STAGES));
            }
            // Publishes slice kt to all warps, and guarantees every warp finished slice kt-1, whose stage
            // (and, for fp32, bf16 buffer kt-1's twin two slices back) is refilled next.
            __syncthreads();
            int next = kt + STAGES - 1;
            if (next < kTiles) g.issue(next, next % STAGES, i0, j0);
            tc_cp_async_commit();
            if constexpr (TF32) {
                g.multiplyTf32(acc, kt % STAGES, wm, wn);
            } else {
                const int buf = G::CONVERT ? (kt & 1) : kt % STAGES;
                g.multiply(acc, g.tileA(buf), g.tileB(buf), wm, wn);
            }
        }
        tc_cp_async_wait<0>();
        __syncthreads();  // the next batch's prologue overwrites the stages

        // Epilogue: c0, c1 at (row g, cols 2t, 2t+1), c2, c3 at row g+8 of each 16×8 tile.
        float* Cb = C + (size_t)bt * m * n;
        const int gq = lane >> 2, tq = lane & 3;
#pragma unroll
        for (int mi = 0; mi < 4; mi++)
#pragma unroll
            for (int ni = 0; ni < 4; ni++)
#pragma unroll
                for (int q = 0; q < 4; q++) {
                    int row = i0 + wm * 64 + mi * 16 + gq + (q >= 2 ? 8 : 0);
                    int col = j0 + wn * 32 + ni * 8 + 2 * tq + (q & 1);
                    if (row < m && col < n) {
                        size_t o = (size_t)row * n + col;
                        Cb[o] = (beta == 0.0f ? 0.0f : beta * Cb[o]) + alpha * acc[mi][ni][q];
                    }
                }
    }
}

// Entry points: one per storage and layout (nn = neither transposed, nt = transB, tn = transA, tt = both).
#define GEMM_MMA_ENTRY(name, T, BK, STAGES, TA, TB, TF32)                                                           \
    extern "C" __global__ void __launch_bounds__(GEMM_MMA_THREADS)                                                  \
    name(int batch, int m, int n, int k, float alpha, const T* __restrict__ A, int aBatchStride,                   \
         const T* __restrict__ B, int bBatchStride, float beta, float* __restrict__ C) {                           \
        gemm_mma<T, BK, STAGES, TA, TB, TF32>(batch, m, n, k, alpha, A, aBatchStride, B, bBatchStride, beta, C);   \
    }

GEMM_MMA_ENTRY(gemm_mma_bf16_nn, float, 16, 4, false, false, false)
GEMM_MMA_ENTRY(gemm_mma_bf16_nt, float, 16, 4, false, true, false)
GEMM_MMA_ENTRY(gemm_mma_bf16_tn, float, 16, 4, true, false, false)
GEMM_MMA_ENTRY(gemm_mma_bf16_tt, float, 16, 4, true, true, false)
GEMM_MMA_ENTRY(gemm_mma_bf16in_nn, bf16_t, 32, 4, false, false, false)
GEMM_MMA_ENTRY(gemm_mma_bf16in_nt, bf16_t, 32, 4, false, true, false)
GEMM_MMA_ENTRY(gemm_mma_bf16in_tn, bf16_t, 32, 4, true, false, false)
GEMM_MMA_ENTRY(gemm_mma_bf16in_tt, bf16_t, 32, 4, true, true, false)
GEMM_MMA_ENTRY(gemm_mma_tf32_nn, float, 16, 4, false, false, true)
GEMM_MMA_ENTRY(gemm_mma_tf32_nt, float, 16, 4, false, true, true)
GEMM_MMA_ENTRY(gemm_mma_tf32_tn, float, 16, 4, true, false, true)
GEMM_MMA_ENTRY(gemm_mma_tf32_tt, float, 16, 4, true, true, true)
