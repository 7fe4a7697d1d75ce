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
 * Three rungs ({@link Variant}): bf16 tensor cores over fp32 storage (the engine today; the kernel converts
 * while staging), over bf16 storage (two values per 32-bit element, see {@link Bf16#pack}; half the bytes), and
 * tf32 tensor cores over fp32 storage (what cuBLAS's TF32 mode computes). Any m, n, k ≥ 0 (tails are
 * zero-filled); leading dimensions that are not multiples of 4 (fp32) or 8 (bf16) elements, or buffers
 * sliced off 16-byte boundaries, take a slower element-load path inside the same kernel. Needs sm_80+.
 * Limits: m ≤ 65535·128 rows per call (grid.y); batches beyond 65535 loop over grid.z.
 */
public final class GemmMmaCuda implements GpuGemm {

    /** The three rungs: tensor-core type and how A and B are stored in global memory. */
    public enum Variant {
        /** bf16 tensor cores, A and B float32: cp.async into an fp32 staging ring, converted in shared memory. */
        BF16("gemm_mma_bf16_"),
        /** bf16 tensor cores, A and B bf16 (two per 32-bit element): cp.async straight into the bf16 tiles. */
        BF16_STORED("gemm_mma_bf16in_"),
        /** tf32 tensor cores (m16n8k8), A and B float32: cp.async into padded fp32 tiles, rounded per fragment. */
        TF32("gemm_mma_tf32_");

        final String prefix;

        Variant(String prefix) {
            this.prefix = prefix;
        }
    }

    static final int TILE = 128, THREADS = 256, STAGES = 4;
    /** k-slice depth per stage: 16 for fp32 storage (its tiles are twice as large), 32 for bf16. */
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

    /** bf16 tensor cores over float32 buffers of this backend ({@link Variant#BF16}). */
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, Buffer a,
                     int aBatchStride, Buffer b, int bBatchStride, float beta, Buffer c) {
        gemmFloat(Variant.BF16, transA, transB, batch, m, n, k, alpha, a, aBatchStride, b, bBatchStride, beta, c);
    }

    /** tf32 tensor cores over float32 buffers ({@link Variant#TF32}): inputs rounded to 10-bit mantissas. */
    public void gemmTf32(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, Buffer a,
                         int aBatchStride, Buffer b, int bBatchStride, float beta, Buffer c) {
        gemmFloat(Variant.TF32, transA, transB, batch, m, n, k, alpha, a, aBatchStride, b, bBatchStride, beta, c);
    }

    private void gemmFloat(Variant v, boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                           Buffer a, int aBatchStride, Buffer b, int bBatchStride, float beta, Buffer c) {
        GemmCuda.checkSizes(batch, m, n, k, a.length(), aBatchStride, b.length(), bBatchStride, c.length());
        CudaBuffer as = lc.floats(a, 0, "matmul A"), bs = lc.floats(b, 0, "matmul B"), cs = lc.floats(c, 0, "matmul C");
        lc.module.launch(kernelName(v, transA, transB), geometry(v, transA, transB, batch, m, n),
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
        lc.module.launch(kernelName(Variant.BF16_STORED, transA, transB), geometry(Variant.BF16_STORED, transA, transB, batch, m, n),
                new KernelArgs().i(batch).i(m).i(n).i(k).f(alpha).bf16(as).i(aBatchStride).bf16(bs).i(bBatchStride)
                        .f(beta).ptr(cs));
    }

    /** A buffer of this backend holding packed bf16 (either element type: only its bytes matter). */
    private CudaBuffer packed(Buffer x, String what) {
        if (x == null) throw new IllegalArgumentException(what + " must not be null");
        return x.isInt() ? lc.ints(x, 0, what) : lc.floats(x, 0, what);
    }

    /** e.g. gemm_mma_bf16_nn, gemm_mma_bf16in_tn, gemm_mma_tf32_nt (suffix: transA, transB). */
    static String kernelName(Variant v, boolean transA, boolean transB) {
        return v.prefix + (transA ? "t" : "n") + (transB ? "t" : "n");
    }

    /**
     * Dynamic shared memory, the kernels' GemmMma::SHARED_BYTES: 4 stages of A and B tiles; for BF16 also the
     * two bf16 buffers the fp32 staging converts into; for TF32 the padded rows (k-major 16 + 4 floats,
     * m/n-major 128 + 8), so the size depends on the layout.
     */
    static int sharedBytes(Variant v, boolean transA, boolean transB) {
        return switch (v) {
            case BF16 -> STAGES * 2 * TILE * BK_FP32 * 4 + 2 * 2 * TILE * BK_FP32 * 2;  // 80 KiB
            case BF16_STORED -> STAGES * 2 * TILE * BK_BF16 * 2;                        // 64 KiB
            case TF32 -> STAGES * 4 * (tf32Tile(!transA) + tf32Tile(transB));           // 68–80 KiB
        };
    }

    /** Floats of one padded tf32 operand tile: [128][16 + 4] when k is contiguous, else [16][128 + 8]. */
    private static int tf32Tile(boolean kContiguous) {
        return kContiguous ? TILE * (BK_FP32 + 4) : BK_FP32 * (TILE + 8);
    }

    /** One block of 256 threads per 128×128 tile of C: grid (ceil(n/128), ceil(m/128), min(batch, 65535)). */
    static LaunchConfig geometry(Variant v, boolean transA, boolean transB, int batch, int m, int n) {
        if (m > 65535L * TILE) {
            throw new IllegalArgumentException("matmul: m = " + m + " rows exceed one launch (" + 65535L * TILE + ")");
        }
        return new LaunchConfig(GemmCuda.ceil(n, TILE), GemmCuda.ceil(m, TILE), Math.min(batch, 65535), THREADS, 1, 1,
                sharedBytes(v, transA, transB));
    }
}
