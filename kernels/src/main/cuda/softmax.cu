// softmax.cu — row-wise softmax and log-softmax, forward and backward.
// CPU reference: engine/.../backend/cpu/SoftmaxCpu.java. Java launcher: kernels/.../SoftmaxCuda.java.
//
// Shapes: x, out, dout, dx [rows, cols]; `log` selects log-softmax.
// Forward:   m = max_c x, s = Σ exp(x − m);  out = exp(x − m)/s,  or  out = x − (m + log s) when log.
// Backward (y = forward output), ACCUMULATES into dx:
//            softmax: dx += y·(dy − Σ dy·y);   log-softmax: dx += dy − exp(y)·Σ dy.
// The max is subtracted first so exp never overflows; max uses Java's NaN-propagating order.
//
// Versions (SoftmaxCuda.Variant; SoftmaxCuda.choose: V2 up to 1024 columns, V3 above):
//   v1  one thread per row — the CPU loop; neighbouring threads read addresses `cols` apart (uncoalesced).
//   v2  one warp per row (blockDim/32 rows per block): coalesced 128-byte loads, shuffle reductions, no
//       shared memory or barriers. Best for short and medium rows (class logits, token rows).
//   v3  one block per row: all blockDim threads share a long row, so one row no longer waits on 32 lanes
//       walking thousands of columns; block reductions through shared memory.
// Three passes read the row (max, sum, write); rows up to a few thousand floats stay in L1/L2 between
// passes. All versions are deterministic.
//
// Build: part of tessera_kernels.cu.
#include "common.cuh"

// ------------------------------------------------------------------------------------------------ v1
extern "C" __global__ void softmax_forward_v1(const float* __restrict__ x, float* __restrict__ out, int rows,
                                              int cols, int log) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const float* xr = x + (size_t)r * cols;
    float* yr = out + (size_t)r * cols;
    float m = -INFINITY;
    for (int c = 0; c < cols; c++) m = jmaxf(m, xr[c]);
    float s = 0.0f;
    for (int c = 0; c < cols; c++) s += expf(xr[c] - m);
    if (log) {
        float lse = m + logf(s);
        for (int c = 0; c < cols; c++) yr[c] = xr[c] - lse;
    } else {
        for (int c = 0; c < cols; c++) yr[c] = expf(xr[c] - m) / s;
    }
}

extern "C" __global__ void softmax_backward_v1(const float* __restrict__ dy, const float* __restrict__ y,
                                               float* __restrict__ dx, int rows, int cols, int log) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    size_t base = (size_t)r * cols;
    float s = 0.0f;
    if (log) {
        for (int c = 0; c < cols; c++) s += dy[base + c];
        for (int c = 0; c < cols; c++) dx[base + c] += dy[base + c] - expf(y[base + c]) * s;
    } else {
        for (int c = 0; c < cols; c++) s += dy[base + c] * y[base + c];
        for (int c = 0; c < cols; c++) dx[base + c] += y[base + c] * (dy[base + c] - s);
    }
}

// ------------------------------------------------------------------------------------------------ v2
extern "C" __global__ void softmax_forward_v2(const float* __restrict__ x, float* __restrict__ out, int rows,
                                              int cols, int log) {
    int lane = threadIdx.x & 31;
    int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= rows) return;  // warp-uniform; no block barrier below
    const float* xr = x + (size_t)r * cols;
    float* yr = out + (size_t)r * cols;
    float m = -INFINITY;
    for (int c = lane; c < cols; c += 32) m = jmaxf(m, xr[c]);
    m = warp_max(m);
    float s = 0.0f;
    for (int c = lane; c < cols; c += 32) s += expf(xr[c] - m);
    s = warp_sum(s);
    if (log) {
        float lse = m + logf(s);
        for (int c = lane; c < cols; c += 32) yr[c] = xr[c] - lse;
    } else {
        for (int c = lane; c < cols; c += 32) yr[c] = expf(xr[c] - m) / s;
    }
}

extern "C" __global__ void softmax_backward_v2(const float* __restrict__ dy, const float* __restrict__ y,
                                               float* __restrict__ dx, int rows, int cols, int log) {
    int lane = threadIdx.x & 31;
    int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (r >= rows) return;
    size_t base = (size_t)r * cols;
    float s = 0.0f;
    if (log) {
        for (int c = lane; c < cols; c += 32) s += dy[base + c];
        s = warp_sum(s);
        for (int c = lane; c < cols; c += 32) dx[base + c] += dy[base + c] - expf(y[base + c]) * s;
    } else {
        for (int c = lane; c < cols; c += 32) s += dy[base + c] * y[base + c];
        s = warp_sum(s);
        for (int c = lane; c < cols; c += 32) dx[base + c] += y[base + c] * (dy[base + c] - s);
    }
}

// ------------------------------------------------------------------------------------------------ v3
extern "C" __global__ void softmax_forward_v3(const float* __restrict__ x, float* __restrict__ out, int rows,
                                              int cols, int log) {
    __shared__ float scratch[32];
    for (long long r64 = blockIdx.x; r64 < rows; r64 += gridDim.x) {  // block-uniform; 64-bit: see strided.cu
        int r = (int)r64;
        const float* xr = x + (size_t)r * cols;
        float* yr = out + (size_t)r * cols;
        float m = -INFINITY;
        for (int c = threadIdx.x; c < cols; c += blockDim.x) m = jmaxf(m, xr[c]);
        m = block_max(m, scratch);
        float s = 0.0f;
        for (int c = threadIdx.x; c < cols; c += blockDim.x) s += expf(xr[c] - m);
        s = block_sum(s, scratch);
        if (log) {
            float lse = m + logf(s);
            for (int c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = xr[c] - lse;
        } else {
            for (int c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = expf(xr[c] - m) / s;
        }
    }
}

extern "C" __global__ void softmax_backward_v3(const float* __restrict__ dy, const float* __restrict__ y,
                                               float* __restrict__ dx, int rows, int cols, int log) {
    __shared__ float scratch[32];
    for (long long r64 = blockIdx.x; r64 < rows; r64 += gridDim.x) {
        int r = (int)r64;
        size_t base = (size_t)r * cols;
        float s = 0.0f;
        if (log) {
            for (int c = threadIdx.x; c < cols; c += blockDim.x) s += dy[base + c];
        } else {
            for (int c = threadIdx.x; c < cols; c += blockDim.x) s += dy[base + c] * y[base + c];
        }
        s = block_sum(s, scratch);
        if (log) {
            for (int c = threadIdx.x; c < cols; c += blockDim.x) dx[base + c] += dy[base + c] - expf(y[base + c]) * s;
        } else {
            for (int c = threadIdx.x; c < cols; c += blockDim.x) dx[base + c] += y[base + c] * (dy[base + c] - s);
        }
    }
}
