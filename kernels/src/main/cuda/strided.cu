// strided.cu — the data-movement and elementwise primitives of the Backend contract.
// CPU reference: engine/.../backend/cpu/StridedCpu.java (copy, binary) and CpuBackend.unary.
// Java launcher: kernels/.../StridedCuda.java.
//
// What it computes (n = Π shape, rank ≤ 8 after StridedLayout.coalesce on the Java side):
//   strided_copy         dst[i·ds] (+)= src[i·ss]          for every multi-index i of shape
//   strided_copy_atomic  the same with atomicAdd, for accumulate when dst has a 0 stride (several i hit one
//                        destination, e.g. the backward of a broadcast); the CPU runs that case serially
//   unary_map            out[i] = op(x[i], p)              contiguous, out may be x
//   binary_strided       out[i] = op(a[i·as], b[i·bs])     out contiguous over shape, may alias a
//
// One thread per element with a grid-stride loop; the multi-index is unravelled with one div/mod per axis.
// The loop counter is 64-bit: the grid has about one thread per element, so i + gridDim·blockDim reaches 2n,
// which wraps a 32-bit int once n > 2^30. Inside the loop i < n < 2^31, so the index math stays 32-bit.
// The Java side first coalesces axes (merges neighbours whose strides chain, drops size-1 axes), so a
// contiguous tensor arrives as rank 1 and pays a single div/mod. There is one version of each: these are
// memory-bound and the coalescing is what makes them fast; a float4 path is a possible next rung.
//
// Determinism: everything is deterministic except strided_copy_atomic (float atomics in arrival order).
//
// Build: part of tessera_kernels.cu (see its header for the nvcc line).
#include "common.cuh"

// Offsets of flat row-major index i over `shape` under two stride sets. Unrolled over the fixed maximum
// rank so the struct fields stay in registers; axes beyond `rank` are skipped.
__device__ __forceinline__ void strided_offsets(int i, int rank, const Dims8& shape, const Dims8& s1,
                                                const Dims8& s2, int& o1, int& o2) {
    o1 = 0;
    o2 = 0;
#pragma unroll
    for (int d = TS_MAX_RANK - 1; d >= 0; --d) {
        if (d < rank) {
            int idx = i % shape.v[d];
            i /= shape.v[d];
            o1 += idx * s1.v[d];
            o2 += idx * s2.v[d];
        }
    }
}

extern "C" __global__ void strided_copy(const float* __restrict__ src, float* __restrict__ dst, int n, int rank,
                                        Dims8 shape, Dims8 srcStrides, Dims8 dstStrides, int accumulate) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        int so, dof;
        strided_offsets((int)i, rank, shape, srcStrides, dstStrides, so, dof);
        float v = src[so];
        dst[dof] = accumulate ? dst[dof] + v : v;
    }
}

extern "C" __global__ void strided_copy_atomic(const float* __restrict__ src, float* dst, int n, int rank,
                                               Dims8 shape, Dims8 srcStrides, Dims8 dstStrides) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        int so, dof;
        strided_offsets((int)i, rank, shape, srcStrides, dstStrides, so, dof);
        atomicAdd(dst + dof, src[so]);
    }
}

// x and out may be the same buffer (in-place), so no __restrict__.
extern "C" __global__ void unary_map(int op, float p, const float* x, float* out, int n) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        out[i] = apply_unary(op, x[i], p);
    }
}

// out may alias a (in-place gradient accumulation: out = a + b with a contiguous); each thread reads its own
// element before writing it, so aliasing is safe. No __restrict__ for that reason.
extern "C" __global__ void binary_strided(int op, const float* a, const float* b, float* out, int n, int rank,
                                          Dims8 shape, Dims8 aStrides, Dims8 bStrides) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        int ao, bo;
        strided_offsets((int)i, rank, shape, aStrides, bStrides, ao, bo);
        out[i] = apply_binary(op, a[ao], b[bo]);
    }
}
