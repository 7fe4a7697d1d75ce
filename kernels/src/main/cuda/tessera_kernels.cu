// tessera_kernels.cu — the one translation unit nvcc compiles into tessera_kernels.fatbin.
//
// Each kernel family lives in its own file (one base name per kernel across modules: layernorm.cu ↔
// LayerNormCuda.java ↔ LayerNormCpu.java); this file only #includes them so a single nvcc invocation
// yields a single fatbin that KernelModule loads with cuModuleLoadData. No relocatable device code and no
// device linking are needed because the families share nothing but the inline helpers in common.cuh.
//
// Release build (what kernels/build-fatbin.sh runs; about the same as `make kernels`):
//   nvcc -fatbin -O3 -std=c++17 --threads 0 -lineinfo \
//        -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
//        -gencode arch=compute_90,code=compute_90 \
//        -o target/classes/dev/tessera/kernels/tessera_kernels.fatbin src/main/cuda/tessera_kernels.cu
// SASS for Ampere (A100 sm_80; it also runs on RTX 30 sm_86 and Ada sm_89) and Hopper (sm_90) loads without JIT; the
// compute_90 PTX lets newer GPUs JIT-compile. Built with nvcc 13, the fatbin needs an R580+ driver.
// No --use_fast_math: parity with the CPU reference relies on IEEE division/sqrt and full-precision
// expf/erff.
#include "strided.cu"
#include "reduce.cu"
#include "gemm.cu"
#include "gemm_mma.cu"
#include "layernorm.cu"
#include "softmax.cu"
#include "attention.cu"
#include "attention_flash.cu"
#include "gather.cu"
#include "adamw.cu"
#include "masking.cu"
#include "gradclip.cu"
#include "column_sums.cu"
#include "residual.cu"
