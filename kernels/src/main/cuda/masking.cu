// masking.cu — MAE's per-sample random masking from its noise (models_mae.py random_masking), on the device.
// CPU reference: engine/.../backend/cpu/MaskingCpu.java. Java launcher: kernels/.../MaskingCuda.java.
//
//   for each row s of noise [rows, length]:
//     ids_shuffle[s, :] = stable ascending argsort(noise[s, :])   (java.lang.Float.compare order)
//     ids_restore[s, ids_shuffle[s, t]] = t                        (its inverse)
//     ids_keep[s, t] = ids_shuffle[s, t]  for t < keep
//     mask[s, ids_shuffle[s, t]] = t < keep ? 0 : 1                (float, patch order)
//
// One block per row (grid-stride over rows). The row's sort keys go to shared memory; each thread then ranks
// its elements by counting the keys that sort before them — rank(i) = #{j : key[j] < key[i] or (key[j] == key[i]
// and j < i)} — which is exactly the position a stable sort gives i, so no sorting network and no ties to break.
// O(length²) compares per row: 38k for MAE's 196 patches, nothing next to one GEMM; the launcher caps length at
// what shared memory holds (12,288 keys in 48 KiB). The key is the float's bits made signed-comparable in
// Float.compare order (canonical NaN last, −0 before +0), the same key MaskingCpu sorts by, so the results are
// identical, not merely close. Deterministic, no atomics: every output element is written by exactly one thread.
//
// Build: part of tessera_kernels.cu.
#include "common.cuh"

// Float.compare's order as a signed int: NaNs canonical (Float.floatToIntBits), negatives' magnitude bits flipped.
__device__ __forceinline__ int java_ordered_bits(float x) {
    int b = x != x ? 0x7fc00000 : (int)__float_as_uint(x);
    return b ^ ((b >> 31) & 0x7fffffff);
}

extern "C" __global__ void argsort_mask(const float* __restrict__ noise, int rows, int length, int keep,
                                        int* __restrict__ shuffle, int* __restrict__ restore, int* __restrict__ kept,
                                        float* __restrict__ mask) {
    extern __shared__ int keys[];
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        size_t base = (size_t)row * length;
        for (int i = threadIdx.x; i < length; i += blockDim.x) keys[i] = java_ordered_bits(noise[base + i]);
        __syncthreads();
        for (int i = threadIdx.x; i < length; i += blockDim.x) {
            int ki = keys[i], rank = 0;
            for (int j = 0; j < length; j++) {
                int kj = keys[j];
                rank += (kj < ki) | ((kj == ki) & (j < i));
            }
            shuffle[base + rank] = i;
            restore[base + i] = rank;
            mask[base + i] = rank < keep ? 0.0f : 1.0f;
            if (rank < keep) kept[(size_t)row * keep + rank] = i;
        }
        __syncthreads();   // the next row overwrites the keys
    }
}
