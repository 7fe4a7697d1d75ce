// residual.cu — a transformer block's residual x + drop_path(gamma · a) (LayerScale from CaiT, Touvron et al. 2021, as
// BEiT's and CAE's blocks use it; drop path per sample, timm) and its backward, Backend.scaledResidual /
// scaledResidualBackward. CPU reference: engine/.../backend/cpu/ScaledResidualCpu.java. Launcher: ResidualCuda.java.
//
//   scaled_residual_forward          out[s, r, c] = x + (a·gamma[c])·keep[s]        gamma, keep may be null (1)
//   scaled_residual_backward         gt = g·keep[s]; da (+)= gt·gamma[c]; perSample[s, c] = Σ_r gt·a  (each optional)
//   scaled_residual_dgamma_finish    dgamma[c] = Σ_s perSample[s, c]
//
// Before these kernels CUDA ran Backend's composed default: two or three binary_strided maps forward, and four to six
// launches backward (the keep and gamma products, the add into da, the product with a, two reductions). The forward
// and da use explicitly rounded intrinsics (__fmul_rn, __fadd_rn: no FMA contraction) in the CPU's order, so they are
// the CPU's bits. gamma's gradient is summed as broadcasting's backward sums it, one axis at a time: a block owns 32
// columns of one sample (a warp reads 32 consecutive floats of a row: coalesced), its 8 row lanes each sum every 8th
// row in float, the lanes are added in a fixed order through shared memory, and a second launch sums the samples in
// order. Deterministic, no atomics; float sums where the CPU sums in double, so dgamma agrees within tolerance.
//
// Build: part of tessera_kernels.cu.
#include "common.cuh"

#define RESIDUAL_ROWS 8

extern "C" __global__ void scaled_residual_forward(const float* __restrict__ x, const float* __restrict__ a,
                                                   const float* __restrict__ gamma, const float* __restrict__ keep,
                                                   int samples, int rows, int cols, float* __restrict__ out) {
    long long n = (long long)samples * rows * cols;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        long long line = i / cols;
        float t = a[i];
        if (gamma != nullptr) t = __fmul_rn(t, gamma[i - line * cols]);
        if (keep != nullptr) t = __fmul_rn(t, keep[line / rows]);
        out[i] = __fadd_rn(x[i], t);
    }
}

// grid (ceil(cols / 32), samples), block (32, RESIDUAL_ROWS). da and perSample may each be null.
extern "C" __global__ void __launch_bounds__(32 * RESIDUAL_ROWS) scaled_residual_backward(
        const float* __restrict__ g, const float* __restrict__ a, const float* __restrict__ gamma,
        const float* __restrict__ keep, int rows, int cols, float* __restrict__ da, int accumulate,
        float* __restrict__ perSample) {
    __shared__ float partial[RESIDUAL_ROWS][33];          // +1: the column walk below hits 32 banks
    int c = blockIdx.x * 32 + threadIdx.x, s = blockIdx.y;
    float k = keep != nullptr ? keep[s] : 1.0f, sum = 0.0f;
    if (c < cols) {
        for (int r = threadIdx.y; r < rows; r += RESIDUAL_ROWS) {
            size_t i = ((size_t)s * rows + r) * cols + c;
            float gt = keep != nullptr ? __fmul_rn(g[i], k) : g[i];
            if (da != nullptr) {
                float v = gamma != nullptr ? __fmul_rn(gt, gamma[c]) : gt;
                da[i] = accumulate ? __fadd_rn(da[i], v) : v;
            }
            if (perSample != nullptr) sum = __fadd_rn(sum, __fmul_rn(gt, a[i]));
        }
    }
    if (perSample == nullptr) return;                     // uniform over the block: no thread waits at the barrier
    partial[threadIdx.y][threadIdx.x] = sum;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float total = 0.0f;
        for (int y = 0; y < RESIDUAL_ROWS; y++) total = __fadd_rn(total, partial[y][threadIdx.x]);
        perSample[(size_t)s * cols + c] = total;
    }
}

// One thread per column, the samples in order.
extern "C" __global__ void scaled_residual_dgamma_finish(const float* __restrict__ perSample, int samples, int cols,
                                                         float* __restrict__ dgamma) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    float total = 0.0f;
    for (int s = 0; s < samples; s++) total = __fadd_rn(total, perSample[(size_t)s * cols + c]);
    dgamma[c] = total;
}
