// column_sums.cu — out[c] += Σ_r x[r, c] for x [rows, cols]: a Linear's bias gradient added into the flat gradient
// store in ONE launch. CPU reference: CpuBackend.addColumnSums (ReduceCpu's column sums, then one add each).
// Java launcher: kernels/.../ColumnSumsCuda.java.
//
// Before this kernel a bias gradient took three launches (reduce_v3_partial, reduce_v1 to finish into a temporary,
// binary_strided to add it), about 250 per MAE-B step. Here a block owns 32 adjacent columns: its 32 × ROWS threads
// read 32 consecutive floats of a row per warp (coalesced), each thread sums every ROWS-th row in float, the ROWS
// partial sums of a column are added in a fixed order through shared memory, and thread row 0 adds the column total
// to out. Deterministic, no atomics. Parallelism is cols/32 blocks (24 for ViT-B's 768 wide biases): few for the
// largest gradients, but each reads a [rows, 32] strip once at full coalescing.
//
// Build: part of tessera_kernels.cu.
#include "common.cuh"

#define COLUMN_SUMS_ROWS 32

extern "C" __global__ void __launch_bounds__(32 * COLUMN_SUMS_ROWS) column_sums_add(const float* __restrict__ x, int rows,
                                                                                    int cols, float* __restrict__ out) {
    __shared__ float partial[COLUMN_SUMS_ROWS][33];       // +1: the column walk below hits 32 banks
    int c = blockIdx.x * 32 + threadIdx.x;
    float s = 0.0f;
    if (c < cols) {
        for (long long r = threadIdx.y; r < rows; r += COLUMN_SUMS_ROWS) s += x[r * cols + c];
    }
    partial[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float total = 0.0f;
        for (int k = 0; k < COLUMN_SUMS_ROWS; k++) total += partial[k][threadIdx.x];
        out[c] += total;
    }
}
