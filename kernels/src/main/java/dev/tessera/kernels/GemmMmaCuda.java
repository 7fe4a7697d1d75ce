package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;

/**
 * Launcher for gemm_mma.cu: the tensor-core rungs of the GEMM ladder (bf16 inputs, fp32 accumulation), the
 * same contract as {@link GemmCuda} and {@code Backend.matmul}: per batch b, C_b = alpha·op(A_b)·op(B_b) +
 * beta·C_b, row-major, {@code transA}/{@code transB}, batch strides (0 = shared), C fp32 and contiguous, C not
 * read when beta == 0. CPU reference: {@code SgemmScalar} on {@link Bf16#round bf16-rounded} A and B.
 * <pre>
 *   for every 128×128 tile of C_b (one block, 8 warps of 64×32):
 *       for k in slices (cp.async ring of 4 stages):  acc += bf16(A tile)·bf16(B tile)   (mma.sync m16n8k16)
 *       C tile = alpha·acc + beta·C tile
 * </pre>
 * Two storages of A and B ({@link Storage}): fp32 (the engine today; the kernel converts while staging) and
 * bf16 (two values per 32-bit element, see {@link Bf16#pack}; half the bytes). Any m, n, k ≥ 0 (tails are
 * zero-filled); leading dimensions that are not multiples of 4 (fp32) or 8 (bf16) elements, or buffers
 * sliced off 16-byte boundaries, take a slower element-load path inside the same kernel. Needs sm_80+.
 * Limits: m ≤ 65535·128 rows per call (grid.y); batches beyond 65535 loop over grid.z.
 */
public final class GemmMmaCuda implements GpuGemm {

    /** How A and B are stored in global memory. */
    public enum Storage {
        /** float32: copied with cp.async into an fp32 staging ring, converted to bf16 in shared memory. */
        FP32,
        /** bf16, two per 32-bit element: copied with cp.async straight into the bf16 tiles. */
        BF16
    }

    static final int TILE = 128, THREADS = 256, STAGES = 4;
    /** k-slice depth per stage: 16 for fp32 storage (its staging is twice as large), 32 for bf16. */
    static final int BK_FP32 = 16, BK_BF16 = 32;

    private final LaunchContext lc;

    GemmMmaCuda(LaunchContext lc) {
        this.lc = lc;
    }

    @Override
    public String describe() {
        return "Tessera bf16 tensor-core GEMM (gemm_mma.cu, mma.sync m16n8k16, fp32 accumulation)";
    }

    /** fp32 storage: the drop-in for {@link GemmCuda} with bf16 tensor-core numerics. */
    @Override
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, CudaBuffer a,
                     int aBatchStride, CudaBuffer b, int bBatchStride, float beta, CudaBuffer c) {
        gemm(transA, transB, batch, m, n, k, alpha, (Buffer) a, aBatchStride, b, bBatchStride, beta, c);
    }

    /** fp32 storage (float32 buffers of this backend). */
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, Buffer a,
                     int aBatchStride, Buffer b, int bBatchStride, float beta, Buffer c) {
        GemmCuda.checkSizes(batch, m, n, k, a.length(), aBatchStride, b.length(), bBatchStride, c.length());
        CudaBuffer as = lc.floats(a, 0, "matmul A"), bs = lc.floats(b, 0, "matmul B"), cs = lc.floats(c, 0, "matmul C");
        lc.module.launch(kernelName(Storage.FP32, transA, transB), geometry(Storage.FP32, batch, m, n),
                new KernelArgs().i(batch).i(m).i(n).i(k).f(alpha).ptr(as).i(aBatchStride).ptr(bs).i(bBatchStride)
                        .f(beta).ptr(cs));
    }

    /**
     * bf16 storage: {@code a} and {@code b} hold bf16 values packed two per 32-bit element (int32 or float32
     * buffers of this backend, {@link Bf16#pack}); sizes and batch strides count bf16 elements. C is fp32.
     */
    public void gemmBf16(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, Buffer a,
                         int aBatchStride, Buffer b, int bBatchStride, float beta, Buffer c) {
        GemmCuda.checkSizes(batch, m, n, k, 2L * a.length(), aBatchStride, 2L * b.length(), bBatchStride, c.length());
        CudaBuffer as = packed(a, "matmul A (bf16)"), bs = packed(b, "matmul B (bf16)"), cs = lc.floats(c, 0, "matmul C");
        lc.module.launch(kernelName(Storage.BF16, transA, transB), geometry(Storage.BF16, batch, m, n),
                new KernelArgs().i(batch).i(m).i(n).i(k).f(alpha).bf16(as).i(aBatchStride).bf16(bs).i(bBatchStride)
                        .f(beta).ptr(cs));
    }

    /** A buffer of this backend holding packed bf16 (either element type: only its bytes matter). */
    private CudaBuffer packed(Buffer x, String what) {
        if (x == null) throw new IllegalArgumentException(what + " must not be null");
        return x.isInt() ? lc.ints(x, 0, what) : lc.floats(x, 0, what);
    }

    /** gemm_mma_bf16_nn … _tt (fp32 storage) or gemm_mma_bf16in_nn … _tt (bf16 storage). */
    static String kernelName(Storage s, boolean transA, boolean transB) {
        return (s == Storage.FP32 ? "gemm_mma_bf16_" : "gemm_mma_bf16in_") + (transA ? "t" : "n") + (transB ? "t" : "n");
    }

    /** Dynamic shared memory: 4 stages of A and B tiles (+ for fp32, the fp32 staging ring and two bf16 buffers). */
    static int sharedBytes(Storage s) {
        return s == Storage.FP32
                ? STAGES * 2 * TILE * BK_FP32 * 4 + 2 * 2 * TILE * BK_FP32 * 2   // 80 KiB
                : STAGES * 2 * TILE * BK_BF16 * 2;                               // 64 KiB
    }

    /** One block of 256 threads per 128×128 tile of C: grid (ceil(n/128), ceil(m/128), min(batch, 65535)). */
    static LaunchConfig geometry(Storage s, int batch, int m, int n) {
        if (m > 65535L * TILE) {
            throw new IllegalArgumentException("matmul: m = " + m + " rows exceed one launch (" + 65535L * TILE + ")");
        }
        return new LaunchConfig(GemmCuda.ceil(n, TILE), GemmCuda.ceil(m, TILE), Math.min(batch, 65535), THREADS, 1, 1,
                sharedBytes(s));
    }
}
