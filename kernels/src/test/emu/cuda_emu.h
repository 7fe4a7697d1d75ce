// cuda_emu.h — just enough of CUDA to run Tessera's kernels on the CPU, for checking their indexing on a
// machine without a GPU (the development machines have nvcc but no device). It is a test tool, not a
// simulator: each block runs alone, its threads are real std::threads, __syncthreads is a barrier, warp
// shuffles exchange values through a per-warp barrier, atomics use std::atomic_ref. Timing, memory
// coalescing, bank conflicts and the exact float behaviour of CUDA's math library are NOT modelled, and
// warp shuffles assume all 32 lanes call them together (true for every shuffle in our kernels).
// Used by emu_test.cpp via kernels/emulate-kernels.sh.
#pragma once
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>
#include <math.h>

struct uint3 { unsigned x, y, z; };
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline thread_local uint3 threadIdx, blockIdx;
inline thread_local dim3 blockDim, gridDim;

struct EmuWarp {
    std::barrier<> bar;
    float f[32];
    int i[32];
    explicit EmuWarp(int n) : bar(n) {}
};
inline thread_local EmuWarp* emu_warp = nullptr;
inline thread_local int emu_lane = 0;
inline std::barrier<>* emu_block_barrier = nullptr;
inline char* emu_dyn_shared = nullptr;

inline float* emu_dynamic_shared() { return reinterpret_cast<float*>(emu_dyn_shared); }

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static

inline void __syncthreads() { emu_block_barrier->arrive_and_wait(); }

template <class T> inline T emu_exchange(T v, int src, T* slots) {
    slots[emu_lane] = v;
    emu_warp->bar.arrive_and_wait();
    T r = slots[src & 31];
    emu_warp->bar.arrive_and_wait();
    return r;
}
inline float __shfl_xor_sync(unsigned, float v, int m) { return emu_exchange(v, emu_lane ^ m, emu_warp->f); }
inline int __shfl_xor_sync(unsigned, int v, int m) { return emu_exchange(v, emu_lane ^ m, emu_warp->i); }
inline float __shfl_sync(unsigned, float v, int src) { return emu_exchange(v, src, emu_warp->f); }
inline int __shfl_sync(unsigned, int v, int src) { return emu_exchange(v, src, emu_warp->i); }

inline float atomicAdd(float* p, float v) { return std::atomic_ref<float>(*p).fetch_add(v); }
inline int atomicCAS(int* p, int expected, int desired) {
    std::atomic_ref<int>(*p).compare_exchange_strong(expected, desired);
    return expected;
}
inline float __int_as_float(int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
using std::signbit;

struct float4 { float x, y, z, w; };

// Runs kernel<<<grid, block, shared>>>(args...) block by block.
template <class... P, class... A>
void emu_launch(void (*kernel)(P...), dim3 grid, dim3 block, size_t shared, A... args) {
    int n = block.x * block.y * block.z;
    std::vector<char> dyn(shared + 16);
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                std::barrier<> blockBar(n);
                std::vector<std::unique_ptr<EmuWarp>> warps;
                for (int w = 0; w < (n + 31) / 32; w++) warps.emplace_back(new EmuWarp(std::min(32, n - 32 * w)));
                std::memset(dyn.data(), 0xFF, dyn.size());  // garbage, like real shared memory
                emu_block_barrier = &blockBar;
                emu_dyn_shared = dyn.data();
                std::vector<std::thread> threads;
                threads.reserve(n);
                for (int t = 0; t < n; t++) {
                    threads.emplace_back([&, t]() {
                        threadIdx = {t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
                        blockIdx = {bx, by, bz};
                        blockDim = block;
                        gridDim = grid;
                        emu_warp = warps[t / 32].get();
                        emu_lane = t % 32;
                        kernel(args...);
                        emu_warp->bar.arrive_and_drop();
                        blockBar.arrive_and_drop();
                    });
                }
                for (auto& th : threads) th.join();
            }
}
