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

extern "C" __global__ void adamw_step(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                                      float* __restrict__ v, int n, float beta1, float beta2, float oneMinusBeta1,
                                      float oneMinusBeta2, float eps, float stepSize, float bc2Sqrt, float decay,
                                      int* __restrict__ nonFinite) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
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
        if (!(isfinite(mi) && isfinite(vi) && isfinite(pi))) *nonFinite = 1;
    }
}
