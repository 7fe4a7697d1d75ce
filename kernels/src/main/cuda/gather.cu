// gather.cu — row gather along the middle axis and its adjoint, scatter-add.
// CPU reference: engine/.../backend/cpu/GatherCpu.java. Java launcher: kernels/.../GatherCuda.java.
//
//   gather:      out[o, j, :] = src[o, index[o, j], :]     src [outer, srcLength, inner], index int32
//                                                          [outer, indexLength], out [outer, indexLength, inner]
//   scatter_add: dst[o, index[o, j], :] += src[o, j, :]    (the backward of gather; indices may repeat)
// MAE's keep / un-shuffle and CAE's visible/masked split are these ops.
//
// One thread per element of the [outer, indexLength, inner] side (grid-stride, 64-bit counter as in strided.cu); neighbouring threads take
// neighbouring columns of one row, so both the read and the write of a row are coalesced. One version each:
// the ops are pure data movement and already run at memory speed.
//
// Bad indices: the CPU reference throws IndexOutOfBoundsException. A kernel cannot throw, so an index
// outside [0, length) is skipped (gather writes 0 there) and the FIRST offender is recorded in `err`
// (err[0] = 1 gather / 2 scatter, err[1] = o, err[2] = j, err[3] = the index, err[4] = the valid length);
// GatherCuda.checkErrors reads it at the next synchronize/download and throws the IndexOutOfBoundsException
// the CPU would have thrown.
//
// Determinism: gather is deterministic. scatter_add uses float atomicAdd, so when one destination row
// receives several source rows (a repeated index) the additions happen in arrival order and the result
// may differ in the last bits from run to run. When the indices of each o are distinct — MAE/CAE index
// sets are permutations or subsets of one — every destination gets exactly one add and the result is
// exact and deterministic (dst + src, one rounding, as on the CPU).
//
// Build: part of tessera_kernels.cu.
#include "common.cuh"

__device__ __forceinline__ void gather_record_error(int* err, int kind, int o, int j, int t, int length) {
    if (atomicCAS(err, 0, kind) == 0) {
        err[1] = o;
        err[2] = j;
        err[3] = t;
        err[4] = length;
    }
}

extern "C" __global__ void gather_rows(const float* __restrict__ src, const int* __restrict__ index,
                                       float* __restrict__ out, int outer, int srcLength, int indexLength,
                                       int inner, int* err) {
    long long n = (long long)outer * indexLength * inner;
    for (long long e64 = (long long)blockIdx.x * blockDim.x + threadIdx.x; e64 < n; e64 += (long long)gridDim.x * blockDim.x) {
        int e = (int)e64;  // < n, which the Java side keeps below 2^31 (one buffer holds it)
        int c = e % inner, oj = e / inner, j = oj % indexLength, o = oj / indexLength;
        int t = index[oj];
        if (t < 0 || t >= srcLength) {
            if (c == 0) gather_record_error(err, 1, o, j, t, srcLength);
            out[e] = 0.0f;
        } else {
            out[e] = src[((size_t)o * srcLength + t) * inner + c];
        }
    }
}

extern "C" __global__ void scatter_add_rows(const float* __restrict__ src, const int* __restrict__ index,
                                            float* dst, int outer, int dstLength, int indexLength, int inner,
                                            int* err) {
    long long n = (long long)outer * indexLength * inner;
    for (long long e64 = (long long)blockIdx.x * blockDim.x + threadIdx.x; e64 < n; e64 += (long long)gridDim.x * blockDim.x) {
        int e = (int)e64;  // < n, which the Java side keeps below 2^31 (one buffer holds it)
        int c = e % inner, oj = e / inner, j = oj % indexLength, o = oj / indexLength;
        int t = index[oj];
        if (t < 0 || t >= dstLength) {
            if (c == 0) gather_record_error(err, 2, o, j, t, dstLength);
        } else {
            atomicAdd(dst + ((size_t)o * dstLength + t) * inner + c, src[e]);
        }
    }
}
