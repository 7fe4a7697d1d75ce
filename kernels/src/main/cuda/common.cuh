// common.cuh — helpers shared by every Tessera kernel family.
//
// What lives here: the op codes the Java launchers pass for UnaryOp/BinaryOp (checked against the Java enums
// by OpCodesTest, which parses this file), Java-exact min/max, warp and block reductions, and the fixed-size
// stride struct used by the strided kernels.
//
// Conventions for every .cu file in this folder:
//   * float32, row-major; sizes are int (a Tessera Buffer holds at most 2^31-1 elements, so every valid
//     element offset fits in an int).
//   * Entry points are extern "C" so the Java side can find them by name (cuModuleGetFunction); the name is
//     <family>_<what>[_vN], one per version in a kernel ladder.
//   * Forward kernels overwrite their outputs; backward kernels ACCUMULATE (+=) into gradient buffers, the
//     engine-wide rule (a tensor may feed several consumers; parameter grads accumulate over micro-batches).
//   * Block sizes are multiples of 32 (the Java launchers enforce it), so the block reductions below may
//     assume whole warps.
//
// Build: all families are #included by tessera_kernels.cu and compiled into ONE fatbin; see that file.
#pragma once

#include <math.h>
#include <stdint.h>

#define TS_FULL_MASK 0xffffffffu
#define TS_MAX_RANK 8

// Shapes/strides for the strided kernels, passed BY VALUE as a kernel parameter. The Java side passes an
// int[8]; cuLaunchKernel copies as many bytes as the parameter's declared size (32), so the layouts agree.
struct Dims8 {
    int v[TS_MAX_RANK];
};

// ------------------------------------------------------------------------------------------------ op codes
// Must match dev.tessera.engine.backend.UnaryOp / BinaryOp via StridedCuda.code(...); OpCodesTest parses
// these two enums and compares name by name, so keep the "U_NAME = n," one-per-line format.
enum UnaryCode {
    U_NEG = 0,
    U_EXP = 1,
    U_LOG = 2,
    U_SQRT = 3,
    U_RSQRT = 4,
    U_TANH = 5,
    U_RELU = 6,
    U_GELU = 7,
    U_RECIPROCAL = 8,
    U_SQUARE = 9,
    U_POW = 10,
    U_SCALE = 11,
    U_ADD_SCALAR = 12,
};

enum BinaryCode {
    B_ADD = 0,
    B_SUB = 1,
    B_MUL = 2,
    B_DIV = 3,
    B_MAX = 4,
    B_MIN = 5,
    B_GELU_GRAD = 6,
    B_RELU_GRAD = 7,
    B_TANH_GRAD = 8,
};

enum ReduceCode {
    R_SUM = 0,
    R_MAX = 1,
};

// ------------------------------------------------------------------------------------------------ Java-exact math
// Java's Math.max/min propagate NaN and order -0 < +0; CUDA's fmaxf/fminf return the non-NaN operand.
// The CPU reference uses Math.max, so reductions and MAX/MIN must follow Java to agree on NaN inputs.
__device__ __forceinline__ float jmaxf(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0f && b == 0.0f) return signbit(a) ? b : a;
    return a > b ? a : b;
}

__device__ __forceinline__ float jminf(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0f && b == 0.0f) return signbit(a) ? a : b;
    return a < b ? a : b;
}

// GELU, exact erf form (never the tanh approximation): x·Φ(x) = ½·x·(1 + erf(x/√2)).
__device__ __forceinline__ float gelu_exact(float x) {
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}

// b·gelu'(a) with gelu'(x) = Φ(x) + x·φ(x); the same formula as BinaryOp.GELU_GRAD.
__device__ __forceinline__ float gelu_grad(float a, float b) {
    float cdf = 0.5f * (1.0f + erff(a * 0.70710678118654752f));
    float pdf = expf(-0.5f * a * a) * 0.39894228040143268f;  // 1/√(2π)
    return b * (cdf + a * pdf);
}

__device__ __forceinline__ float apply_unary(int op, float x, float p) {
    switch (op) {
        case U_NEG: return -x;
        case U_EXP: return expf(x);
        case U_LOG: return logf(x);
        case U_SQRT: return sqrtf(x);
        case U_RSQRT: return 1.0f / sqrtf(x);  // not rsqrtf: that one is only 2-ulp accurate
        case U_TANH: return tanhf(x);
        case U_RELU: return x > 0.0f ? x : 0.0f;
        case U_GELU: return gelu_exact(x);
        case U_RECIPROCAL: return 1.0f / x;
        case U_SQUARE: return x * x;
        case U_POW: return powf(x, p);
        case U_SCALE: return p * x;
        case U_ADD_SCALAR: return x + p;
        default: return __int_as_float(0x7fc00000);  // NaN: an unknown code must not pass silently
    }
}

__device__ __forceinline__ float apply_binary(int op, float a, float b) {
    switch (op) {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_MAX: return jmaxf(a, b);
        case B_MIN: return jminf(a, b);
        case B_GELU_GRAD: return gelu_grad(a, b);
        case B_RELU_GRAD: return a > 0.0f ? b : 0.0f;
        case B_TANH_GRAD: return b * (1.0f - a * a);
        default: return __int_as_float(0x7fc00000);
    }
}

// ------------------------------------------------------------------------------------------------ reductions
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(TS_FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = jmaxf(v, __shfl_xor_sync(TS_FULL_MASK, v, o));
    return v;
}

// Block-wide sum/max, result returned to every thread. `scratch` holds 32 floats of shared memory. All
// threads of the block must call it (it contains __syncthreads); blockDim.x must be a multiple of 32.
// The tree has a fixed shape for a given block size, so the result is deterministic run to run.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();  // scratch may still be read by a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(v);
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : -INFINITY;
    return warp_max(v);
}
