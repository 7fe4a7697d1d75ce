// cuda_emu.h — just enough of CUDA to run Tessera's kernels on the CPU, for checking their indexing on a
// machine without a GPU (the development machines have nvcc but no device). It is a test tool, not a
// simulator: each block runs alone, its threads are cooperative fibers on ONE OS thread (a fiber runs until
// it reaches a barrier or ends), __syncthreads is a block barrier, warp shuffles and the tensor-core
// instructions (tensor_core_emu.h) exchange values through a per-warp barrier, atomics are plain
// read-modify-writes (one OS thread). Timing, memory coalescing, bank conflicts and the exact float behaviour
// of CUDA's math library are NOT modelled, and warp-collective operations assume all 32 lanes call them
// together (true for every one in our kernels; the .sync.aligned instructions require it).
//
// Why fibers and not std::threads: a warp-collective instruction is a rendezvous of 32 lanes, and a tiled
// tensor-core kernel executes hundreds of them per k-step. With OS threads every rendezvous costs 32 context
// switches through the kernel scheduler (microseconds each on a loaded 2-core machine); a fiber switch is a
// dozen instructions. Fibers also make a barrier that not all threads reach (divergent __syncthreads, a lane
// that skips a shuffle) a reported deadlock instead of a hang.
// Used by emu_test.cpp and emu_tc_test.cpp via kernels/emulate-kernels.sh.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>
#include <math.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

struct uint3 { unsigned x, y, z; };
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

// One OS thread runs every fiber, so the "per-thread" built-ins are plain globals that the scheduler sets
// before it resumes a fiber.
inline uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;

// ------------------------------------------------------------------------------------------------ fibers
#if defined(__x86_64__)
// Saves the callee-saved registers on the current stack, stores the stack pointer in *from, switches to
// `to` and restores that fiber's registers (System V x86-64 ABI: rbx, rbp, r12–r15 are callee-saved).
extern "C" void emu_ctx_switch(void** from, void* to);
asm(R"(
.text
.globl emu_ctx_switch
.type emu_ctx_switch,@function
emu_ctx_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
.size emu_ctx_switch, .-emu_ctx_switch
)");
#endif

struct EmuBarrier {
    int expected = 0, arrived = 0;
    std::vector<int> waiting;  // fiber indices parked here
};

// cp.async bookkeeping of one thread (tensor_core_emu.h): copies are recorded at issue and land only when a
// cp.async.wait_group retires their group, so a kernel that reads shared memory too early reads stale data.
struct EmuAsyncCopy {
    char* dst;
    unsigned char bytes[16];
    int size;
};

struct EmuFiber {
    void* sp = nullptr;
    std::unique_ptr<char[]> stack;
    bool done = false, blocked = false;
    uint3 tid{};
    int lane = 0, warp = 0;
    int collective = 0;                                 // parity of the warp collectives done (slot double-buffer)
    std::vector<EmuAsyncCopy> open;                     // issued, not yet committed
    std::vector<std::vector<EmuAsyncCopy>> committed;   // oldest first
#if !defined(__x86_64__)
    ucontext_t ctx;
#endif
};

// Per-warp exchange slots for collectives: two sets, used alternately, so one barrier per collective is
// enough (a lane can only start writing set p again after every lane has passed the next collective, i.e.
// after all of them finished reading set p).
struct EmuWarpSlots {
    float f[2][32];
    int i[2][32];
    uint32_t u[2][32][16];
    const void* p[2][32];
};

struct EmuBlock {
    std::vector<EmuFiber> fibers;
    std::vector<EmuBarrier> warpBar;
    std::vector<EmuWarpSlots> slots;
    EmuBarrier blockBar;
    std::function<void()> body;
    int current = -1;
    void* schedSp = nullptr;
#if !defined(__x86_64__)
    ucontext_t schedCtx;
#endif
};

inline EmuBlock* emu_block = nullptr;
inline char* emu_dyn_shared = nullptr;
inline size_t emu_dyn_shared_size = 0;
inline constexpr size_t EMU_STACK = 256 * 1024;

inline float* emu_dynamic_shared() { return reinterpret_cast<float*>(emu_dyn_shared); }
inline EmuFiber& emu_self() { return emu_block->fibers[emu_block->current]; }
inline int emu_lane() { return emu_self().lane; }

[[noreturn]] inline void emu_fail(const char* what) {
    std::fprintf(stderr, "EMULATOR ERROR (block %u,%u,%u thread %u,%u,%u): %s\n", blockIdx.x, blockIdx.y, blockIdx.z,
                 threadIdx.x, threadIdx.y, threadIdx.z, what);
    std::exit(3);
}

inline void emu_yield() {
    EmuBlock& b = *emu_block;
#if defined(__x86_64__)
    emu_ctx_switch(&b.fibers[b.current].sp, b.schedSp);
#else
    swapcontext(&b.fibers[b.current].ctx, &b.schedCtx);
#endif
}

inline void emu_release(EmuBarrier& bar) {
    for (int w : bar.waiting) emu_block->fibers[w].blocked = false;
    bar.waiting.clear();
    bar.arrived = 0;
}

inline void emu_arrive_and_wait(EmuBarrier& bar) {
    if (++bar.arrived >= bar.expected) {
        emu_release(bar);
        return;
    }
    bar.waiting.push_back(emu_block->current);
    emu_self().blocked = true;
    emu_yield();
}

// A thread that ends no longer takes part in its barriers (as an exited CUDA thread).
inline void emu_drop(EmuBarrier& bar) {
    bar.expected--;
    if (bar.arrived > 0 && bar.arrived >= bar.expected) emu_release(bar);
}

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static

inline void __syncthreads() { emu_arrive_and_wait(emu_block->blockBar); }

// One value per lane in, lane `src`'s value out; all 32 lanes must call it together.
template <class T> inline T emu_exchange(T v, int src, T (&slots)[2][32]) {
    EmuFiber& f = emu_self();
    int set = f.collective;
    f.collective ^= 1;
    slots[set][f.lane] = v;
    emu_arrive_and_wait(emu_block->warpBar[f.warp]);
    return slots[set][src & 31];
}
inline EmuWarpSlots& emu_slots() { return emu_block->slots[emu_self().warp]; }
inline float __shfl_xor_sync(unsigned, float v, int m) { return emu_exchange(v, emu_lane() ^ m, emu_slots().f); }
inline int __shfl_xor_sync(unsigned, int v, int m) { return emu_exchange(v, emu_lane() ^ m, emu_slots().i); }
inline float __shfl_sync(unsigned, float v, int src) { return emu_exchange(v, src, emu_slots().f); }
inline int __shfl_sync(unsigned, int v, int src) { return emu_exchange(v, src, emu_slots().i); }

inline float atomicAdd(float* p, float v) { float old = *p; *p = old + v; return old; }
inline int atomicCAS(int* p, int expected, int desired) {
    int old = *p;
    if (old == expected) *p = desired;
    return old;
}
inline float __int_as_float(int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline float __uint_as_float(uint32_t v) { float f; std::memcpy(&f, &v, 4); return f; }
inline uint32_t __float_as_uint(float f) { uint32_t v; std::memcpy(&v, &f, 4); return v; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
using std::signbit;

struct float2 { float x, y; };
struct float4 { float x, y, z, w; };

inline void emu_fiber_entry() {
    EmuBlock& b = *emu_block;
    b.body();
    EmuFiber& f = b.fibers[b.current];
    f.done = true;
    emu_drop(b.warpBar[f.warp]);
    emu_drop(b.blockBar);
    emu_yield();  // never resumed
    std::abort();
}

#if !defined(__x86_64__)
inline void emu_fiber_entry_c() { emu_fiber_entry(); }
#endif

// Runs kernel<<<grid, block, shared>>>(args...) block by block; only the blocks whose linear index
// (x fastest, then y, then z) lies in [first, last) — the whole grid by default. Running a few blocks of a
// huge grid checks the index arithmetic at the grid's far end without running the rest.
template <class... P, class... A>
void emu_launch_range(void (*kernel)(P...), dim3 grid, dim3 block, size_t shared, long first, long last, A... args) {
    int n = block.x * block.y * block.z;
    static std::vector<std::unique_ptr<char[]>> stacks;  // reused across blocks and launches
    while ((int)stacks.size() < n) stacks.emplace_back(new char[EMU_STACK]);
    std::unique_ptr<char[], void (*)(void*)> dyn((char*)std::aligned_alloc(128, (shared + 16 + 127) / 128 * 128), std::free);
    long total = (long)grid.x * grid.y * grid.z;
    if (last < 0 || last > total) last = total;
    for (long lin = first; lin < last; lin++) {
        unsigned bx = lin % grid.x, by = (lin / grid.x) % grid.y, bz = lin / ((long)grid.x * grid.y);
        EmuBlock b;
        b.fibers.resize(n);
        int warps = (n + 31) / 32;
        b.warpBar.resize(warps);
        b.slots.resize(warps);
        for (int w = 0; w < warps; w++) b.warpBar[w].expected = std::min(32, n - 32 * w);
        b.blockBar.expected = n;
        b.body = [&]() { kernel(args...); };
        std::memset(dyn.get(), 0xFF, shared + 16);  // garbage, like real shared memory
        emu_block = &b;
        emu_dyn_shared = dyn.get();
        emu_dyn_shared_size = shared;
        blockIdx = {bx, by, bz};
        blockDim = block;
        gridDim = grid;
        for (int t = 0; t < n; t++) {
            EmuFiber& f = b.fibers[t];
            f.tid = {t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
            f.lane = t % 32;
            f.warp = t / 32;
            char* top = stacks[t].get() + EMU_STACK;
#if defined(__x86_64__)
            uintptr_t s = ((uintptr_t)top & ~(uintptr_t)15) - 8;   // as if `call` had pushed a return address
            void** sp = (void**)s;
            *--sp = (void*)&emu_fiber_entry;                         // popped by `ret`
            for (int r = 0; r < 6; r++) *--sp = nullptr;             // rbp rbx r12–r15
            f.sp = sp;
#else
            getcontext(&f.ctx);
            f.ctx.uc_stack.ss_sp = stacks[t].get();
            f.ctx.uc_stack.ss_size = EMU_STACK;
            f.ctx.uc_link = nullptr;
            makecontext(&f.ctx, emu_fiber_entry_c, 0);
#endif
        }
        int remaining = n;
        while (remaining > 0) {
            bool progressed = false;
            for (int t = 0; t < n; t++) {
                EmuFiber& f = b.fibers[t];
                if (f.done || f.blocked) continue;
                b.current = t;
                threadIdx = f.tid;
#if defined(__x86_64__)
                emu_ctx_switch(&b.schedSp, f.sp);
#else
                swapcontext(&b.schedCtx, &f.ctx);
#endif
                progressed = true;
                if (f.done) remaining--;
            }
            if (!progressed) {
                std::fprintf(stderr, "EMULATOR ERROR: deadlock in block (%u,%u,%u): %d threads wait at a barrier that "
                             "the others never reach\n", bx, by, bz, remaining);
                std::exit(3);
            }
        }
        emu_block = nullptr;
    }
}

template <class... P, class... A>
void emu_launch(void (*kernel)(P...), dim3 grid, dim3 block, size_t shared, A... args) {
    emu_launch_range(kernel, grid, block, shared, 0, -1, args...);
}
