// gradclip.cu — global gradient-norm clipping over the flat gradient store, entirely on the device.
// CPU reference: engine/.../backend/cpu/GradClipCpu.java. Java launcher: kernels/.../GradClipCuda.java.
//
//   total = ‖g‖₂;  coef = maxNorm / (total + 1e-6);  if total is finite and coef < 1: g ← coef · g
// (torch.nn.utils.clip_grad_norm_, except that a non-finite total leaves g alone and the trainer stops).
//
// Three launches, no read-back: the host used to download the norm to decide whether to scale, which drained
// the stream in the middle of every clipped step. Here the decision is data on the device:
//   grad_sumsq_partial  a fixed grid of blocks, each a grid-stride sum of squares (float per thread, the block's
//                       tree sum) → partial[block]
//   grad_clip_finish    one block: Σ partial in double, √, writes norm[0] and coef[0] (1 when not clipping)
//   grad_clip_scale     g ← coef[0]·g, a no-op pass when coef[0] is 1
// Deterministic: the grid is a function of n and the device only, and every sum has a fixed tree.
// Accuracy: each thread sums about n / (grid·block) squares in float (≈ 1,300 for ViT-B on an H100), then the
// tree; the relative error of the norm stays near 1e-6, against the CPU's chunked double sums.
//
// Build: part of tessera_kernels.cu.
#include "common.cuh"

extern "C" __global__ void grad_sumsq_partial(const float* __restrict__ g, int n, float* __restrict__ partial) {
    __shared__ float scratch[32];
    float s = 0.0f;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        float x = g[i];
        s += x * x;
    }
    s = block_sum(s, scratch);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

extern "C" __global__ void grad_clip_finish(const float* __restrict__ partial, int parts, float maxNorm,
                                            float* __restrict__ norm, float* __restrict__ coef) {
    __shared__ float scratch[32];
    double s = 0.0;
    for (int i = threadIdx.x; i < parts; i += blockDim.x) s += partial[i];
    float total = block_sum((float)s, scratch);
    if (threadIdx.x == 0) {
        double t = sqrt((double)total);
        double c = maxNorm / (t + 1e-6);
        norm[0] = (float)t;
        coef[0] = (t < INFINITY && c < 1.0) ? (float)c : 1.0f;   // t < ∞ is false for NaN too
    }
}

extern "C" __global__ void grad_clip_scale(float* __restrict__ g, int n, const float* __restrict__ coef) {
    float c = coef[0];
    if (c == 1.0f) return;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        g[i] = c * g[i];
    }
}
