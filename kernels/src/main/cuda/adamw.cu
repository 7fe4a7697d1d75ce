// adamw.cu — one fused AdamW step over flat, equal-length buffers (param, grad, m, v).
// CPU reference: engine/.../backend/cpu/AdamWCpu.java. Java launcher: kernels/.../AdamWCuda.java.
//
//   m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g·g;
//   p ← p·(1 − lr·wd) − (lr/(1−β1^t))·m / (√v/√(1−β2^t) + eps)
// The scalars (1−β1, 1−β2, decay = 1 − lr·wd, stepSize = lr/(1−β1^t), bc2Sqrt = √(1−β2^t)) are computed
// on the host by AdamWCuda exactly as AdamWCpu computes them, and the kernel performs the same float
// operations in the same order with explicitly rounded intrinsics (__fmul_rn, …). Those intrinsics are
// never contracted into FMAs, and sqrt/div are IEEE-rounded, so each result is bit-identical to Java's
// strict float arithmetic — AdamWCudaParityTest expects equality.
//
// One thread per element, grid-stride; memory-bound (16 bytes read + 12 written per parameter), one
// version. Deterministic.
//
// nonFinite: a device word set to 1 when any new m, v or p is NaN or infinite (every writer stores the same 1,
// so the race is benign). A diverging run overflows v long before its loss turns NaN; the trainer reads the word
// right after reading the loss, when the queue is already drained (AdamWCpu returns the same flag).
//
// Build: part of tessera_kernels.cu.
#include "common.cuh"

// The update of element i (shared by both kernels, so the ranged form is bit-identical to the flat one); returns
// whether it wrote a NaN or infinity.
__device__ __forceinline__ bool adamw_element(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                                              float* __restrict__ v, long long i, float beta1, float beta2,
                                              float oneMinusBeta1, float oneMinusBeta2, float eps, float stepSize,
                                              float bc2Sqrt, float decay) {
    float gi = g[i];
    // mi = b1 * m + (1 - b1) * gi
    float mi = __fadd_rn(__fmul_rn(beta1, m[i]), __fmul_rn(oneMinusBeta1, gi));
    // vi = b2 * v + (1 - b2) * gi * gi      (Java evaluates ((1 - b2) * gi) * gi)
    float vi = __fadd_rn(__fmul_rn(beta2, v[i]), __fmul_rn(__fmul_rn(oneMinusBeta2, gi), gi));
    m[i] = mi;
    v[i] = vi;
    // denom = (float) Math.sqrt(vi) / bc2Sqrt + eps
    float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2Sqrt), eps);
    // p = p * decay - stepSize * mi / denom
    float pi = __fsub_rn(__fmul_rn(p[i], decay), __fdiv_rn(__fmul_rn(stepSize, mi), denom));
    p[i] = pi;
    return !(isfinite(mi) && isfinite(vi) && isfinite(pi));
}

extern "C" __global__ void adamw_step(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                                      float* __restrict__ v, int n, float beta1, float beta2, float oneMinusBeta1,
                                      float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt, float decay,
                                      int* __restrict__ nonFinite) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        if (adamw_element(p, g, m, v, i, beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, stepSize, bc2Sqrt, decay)) *nonFinite = 1;
    }
}

// One launch for a whole parameter group (torch's multi-tensor apply): `ranges` holds `count` start offsets, then
// count + 1 running totals of the lengths from 0. The grid is capped (AdamWCuda.rangesConfig) and strides over the
// group's size, read from the table, so the host need not know it. Thread j of the concatenation [0, total) finds its range by binary
// search over the totals (a few dozen ranges: six steps in cache) and updates element offset[r] + j − totals[r].
// Elements past n (a bad table) are skipped; the CPU reference refuses such tables.
// The step's scalars come from device memory, not from arguments: `scalars` = {β1, β2, 1−β1, 1−β2, eps, stepSize,
// bc2Sqrt, decay} (AdamWStep.scalars, written by the host before the launch), so a CUDA graph that captured this
// launch follows the lr schedule and the bias corrections when the host rewrites those 32 bytes before each replay.
extern "C" __global__ void adamw_ranges(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                                        float* __restrict__ v, int n, const int* __restrict__ ranges, int count,
                                        const float* __restrict__ scalars, int* __restrict__ nonFinite) {
    const float beta1 = scalars[0], beta2 = scalars[1], oneMinusBeta1 = scalars[2], oneMinusBeta2 = scalars[3];
    const float eps = scalars[4], stepSize = scalars[5], bc2Sqrt = scalars[6], decay = scalars[7];
    const int* totals = ranges + count;
    int total = totals[count];                         // the table's last entry: the group's size
    for (long long j = (long long)blockIdx.x * blockDim.x + threadIdx.x; j < total; j += (long long)gridDim.x * blockDim.x) {
        int lo = 0, hi = count - 1;                    // the last r with totals[r] <= j
        while (lo < hi) {
            int mid = (lo + hi + 1) >> 1;
            if (totals[mid] <= j) lo = mid; else hi = mid - 1;
        }
        long long i = (long long)ranges[lo] + (j - totals[lo]);
        if (i >= 0 && i < n) {
            if (adamw_element(p, g, m, v, i, beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, stepSize, bc2Sqrt, decay)) {
                *nonFinite = 1;
            }
        }
    }
}
