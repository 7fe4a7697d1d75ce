// reduce.cu — one-axis reductions (sum, max) and argmax over a [outer, length, inner] view.
// CPU reference: engine/.../backend/cpu/ReduceCpu.java. Java launcher: kernels/.../ReduceCuda.java.
//
//   reduce:  out[o·inner + i] = SUM|MAX over k of x[(o·length + k)·inner + i]     (length 0: 0 or -inf)
//   argmax:  out[o·inner + i] = first k with the largest x[...] (a NaN counts as largest, first NaN wins)
//
// Versions (ReduceCuda.Variant; ReduceCuda.choose picks per shape, which is the default):
//   v1 reduce_v1          one thread per output, serial loop over k — the CPU loop. Coalesced when inner is
//                         large (neighbouring threads read neighbouring i), useless when there are few outputs.
//   v2 reduce_v2          one block per output, threads stride over k, block tree reduction. Coalesced when
//                         inner == 1 (row sums: the loss, softmax denominators); enough threads per output
//                         even when there are few outputs.
//   v3 reduce_v3_partial  split k into `chunks` interleaved slices (slice c takes k ≡ c mod chunks) so there
//                         are outer·chunks·inner threads, then v1 sums the [outer, chunks, inner] partials.
//                         For few outputs with long reductions (bias gradients: outer 1, length N·L,
//                         inner D; a full sum: everything 1 but length). Interleaving keeps loads coalesced
//                         for inner == 1 too (neighbouring threads take neighbouring k).
//   argmax                one block per output, (value, index) block reduction; one version.
// Grid-stride loops over outputs count in 64 bits (see strided.cu: r + stride wraps an int past 2^30 outputs).
//
// Precision: sums accumulate in float (the CPU reference uses double), so parity tests allow an absolute
// error proportional to Σ|x|·ε·log2(length) — see ReduceCudaParityTest. All versions are deterministic.
//
// Build: part of tessera_kernels.cu.
#include "common.cuh"

__device__ __forceinline__ float reduce_identity(int op) { return op == R_SUM ? 0.0f : -INFINITY; }

__device__ __forceinline__ float reduce_combine(int op, float acc, float v) {
    return op == R_SUM ? acc + v : jmaxf(acc, v);
}

extern "C" __global__ void reduce_v1(int op, const float* __restrict__ x, float* __restrict__ out, int outer,
                                     int length, int inner) {
    int outputs = outer * inner;
    for (long long r64 = (long long)blockIdx.x * blockDim.x + threadIdx.x; r64 < outputs; r64 += (long long)gridDim.x * blockDim.x) {
        int r = (int)r64, o = r / inner, i = r - o * inner;
        const float* base = x + (size_t)o * length * inner + i;
        float acc = reduce_identity(op);
        for (int k = 0; k < length; k++) acc = reduce_combine(op, acc, base[(size_t)k * inner]);
        out[r] = acc;
    }
}

extern "C" __global__ void reduce_v2(int op, const float* __restrict__ x, float* __restrict__ out, int outer,
                                     int length, int inner) {
    __shared__ float scratch[32];
    int outputs = outer * inner;
    // block-uniform loop: __syncthreads inside is safe
    for (long long r64 = blockIdx.x; r64 < outputs; r64 += gridDim.x) {
        int r = (int)r64, o = r / inner, i = r - o * inner;
        const float* base = x + (size_t)o * length * inner + i;
        float acc = reduce_identity(op);
        for (int k = threadIdx.x; k < length; k += blockDim.x) acc = reduce_combine(op, acc, base[(size_t)k * inner]);
        acc = op == R_SUM ? block_sum(acc, scratch) : block_max(acc, scratch);
        if (threadIdx.x == 0) out[r] = acc;
    }
}

// partial[(o·chunks + c)·inner + i] = reduction over k ≡ c (mod chunks) of x[(o·length + k)·inner + i].
extern "C" __global__ void reduce_v3_partial(int op, const float* __restrict__ x, float* __restrict__ partial,
                                             int outer, int length, int inner, int chunks) {
    int total = outer * chunks * inner;
    for (long long t64 = (long long)blockIdx.x * blockDim.x + threadIdx.x; t64 < total; t64 += (long long)gridDim.x * blockDim.x) {
        int t = (int)t64, i = t % inner, oc = t / inner, c = oc % chunks, o = oc / chunks;
        const float* base = x + (size_t)o * length * inner + i;
        float acc = reduce_identity(op);
        for (int k = c; k < length; k += chunks) acc = reduce_combine(op, acc, base[(size_t)k * inner]);
        partial[t] = acc;
    }
}

// (value, index) pair order for argmax: NaN beats numbers, larger beats smaller, and on ties (including two
// NaNs, and -0 == +0) the lower index wins. This reproduces ReduceCpu.argmax's serial scan exactly.
__device__ __forceinline__ bool argmax_better(float v, int k, float w, int j) {
    bool vn = v != v, wn = w != w;
    if (vn || wn) return vn && (!wn || k < j);
    if (v != w) return v > w;
    return k < j;
}

extern "C" __global__ void argmax_kernel(const float* __restrict__ x, int* __restrict__ out, int outer, int length,
                                         int inner) {
    __shared__ float sv[32];
    __shared__ int si[32];
    int outputs = outer * inner;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (long long r64 = blockIdx.x; r64 < outputs; r64 += gridDim.x) {
        int r = (int)r64, o = r / inner, i = r - o * inner;
        const float* base = x + (size_t)o * length * inner + i;
        float bv = -INFINITY;
        int bk = 0x7fffffff;  // "no candidate yet": loses every tie against a real index
        for (int k = threadIdx.x; k < length; k += blockDim.x) {
            float v = base[(size_t)k * inner];
            if (bk == 0x7fffffff || argmax_better(v, k, bv, bk)) {
                bv = v;
                bk = k;
            }
        }
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) {
            float w = __shfl_xor_sync(TS_FULL_MASK, bv, off);
            int j = __shfl_xor_sync(TS_FULL_MASK, bk, off);
            if (j != 0x7fffffff && (bk == 0x7fffffff || argmax_better(w, j, bv, bk))) {
                bv = w;
                bk = j;
            }
        }
        __syncthreads();
        if (lane == 0) {
            sv[warp] = bv;
            si[warp] = bk;
        }
        __syncthreads();
        if (warp == 0) {
            bv = lane < warps ? sv[lane] : -INFINITY;
            bk = lane < warps ? si[lane] : 0x7fffffff;
#pragma unroll
            for (int off = 16; off > 0; off >>= 1) {
                float w = __shfl_xor_sync(TS_FULL_MASK, bv, off);
                int j = __shfl_xor_sync(TS_FULL_MASK, bk, off);
                if (j != 0x7fffffff && (bk == 0x7fffffff || argmax_better(w, j, bv, bk))) {
                    bv = w;
                    bk = j;
                }
            }
            if (lane == 0) out[r] = bk == 0x7fffffff ? 0 : bk;
        }
    }
}
