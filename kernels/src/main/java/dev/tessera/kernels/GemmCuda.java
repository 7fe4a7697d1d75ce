package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;

/**
 * Launcher for gemm.cu, our own SGEMM: the fallback when cuBLAS cannot be loaded, and the teaching ladder.
 * CPU reference: {@code SgemmScalar} (batched by {@code Sgemm}). The loop it parallelises, per batch b:
 * <pre>
 *   for i &lt; m: for j &lt; n:                       // v1: one thread per (i, j); v2/v3: one block per tile,
 *       acc = Σ_p op(A_b)[i][p]·op(B_b)[p][j]     //     each thread a 4×4 / 8×8 register block
 *       C_b[i][j] = (beta == 0 ? 0 : beta·C_b[i][j]) + alpha·acc
 * </pre>
 * The batch runs over grid.z (a grid-stride loop past 65535).
 */
public final class GemmCuda implements GpuGemm {

    public enum Variant {
        /** One thread per C element, 16×16 blocks. */
        V1_NAIVE,
        /** 64×64 tiles through shared memory, 4×4 outputs per thread, 256 threads. */
        V2_TILED_64,
        /** 128×128 tiles, 8×8 outputs per thread, 256 threads. */
        V3_TILED_128
    }

    private final LaunchContext lc;

    GemmCuda(LaunchContext lc) {
        this.lc = lc;
    }

    @Override
    public String describe() {
        return "own kernels (gemm.cu, fp32)";
    }

    /**
     * The default rule: 128×128 tiles when they still give every SM a block (they reuse each loaded element
     * twice as often), else 64×64 tiles so small products (one image, few tokens) spread over more SMs.
     */
    public static Variant choose(int batch, int m, int n, int multiprocessors) {
        long tiles128 = (long) ceil(m, 128) * ceil(n, 128) * batch;
        return tiles128 >= multiprocessors ? Variant.V3_TILED_128 : Variant.V2_TILED_64;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, CudaBuffer a,
                     int aBatchStride, CudaBuffer b, int bBatchStride, float beta, CudaBuffer c) {
        gemm(choose(batch, m, n, lc.multiprocessors), transA, transB, batch, m, n, k, alpha, a, aBatchStride, b,
                bBatchStride, beta, c);
    }

    /** One variant, for the parity test and benchmarks. */
    public void gemm(Variant v, boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     Buffer a, int aBatchStride, Buffer b, int bBatchStride, float beta, Buffer c) {
        checkSizes(batch, m, n, k, a.length(), aBatchStride, b.length(), bBatchStride, c.length());
        CudaBuffer as = lc.floats(a, 0, "matmul A"), bs = lc.floats(b, 0, "matmul B"), cs = lc.floats(c, 0, "matmul C");
        String name = switch (v) {
            case V1_NAIVE -> "gemm_v1";
            case V2_TILED_64 -> "gemm_v2";
            case V3_TILED_128 -> "gemm_v3";
        };
        lc.module.launch(name, geometry(v, batch, m, n), new KernelArgs().flag(transA).flag(transB).i(batch).i(m).i(n)
                .i(k).f(alpha).ptr(as).i(aBatchStride).ptr(bs).i(bBatchStride).f(beta).ptr(cs));
    }

    /**
     * {@code Backend.matmulEpilogue} in one launch: out = x·Wᵀ + bias, then GELU with the pre-activation kept when
     * {@code gelu} (gemm_epilogue_v2/v3; the tiles of {@link #choose}). bias may be null; pre only with gelu.
     */
    public void epilogue(Buffer x, Buffer w, Buffer bias, int m, int n, int k, boolean gelu, Buffer pre, Buffer out) {
        epilogue(choose(1, m, n, lc.multiprocessors), x, w, bias, m, n, k, gelu, pre, out);
    }

    /** One variant (V2 or V3), for the parity test. */
    public void epilogue(Variant v, Buffer x, Buffer w, Buffer bias, int m, int n, int k, boolean gelu, Buffer pre, Buffer out) {
        if (v == Variant.V1_NAIVE) throw new IllegalArgumentException("matmulEpilogue: no naive variant; use V2 or V3");
        checkSizes(1, m, n, k, x.length(), 0, w.length(), 0, out.length());
        if (gelu && pre == null) throw new IllegalArgumentException("matmulEpilogue: GELU needs a pre-activation buffer");
        CudaBuffer xs = lc.floats(x, (long) m * k, "matmulEpilogue x"), ws = lc.floats(w, (long) n * k, "matmulEpilogue W");
        CudaBuffer bs = lc.floats(bias, n, "matmulEpilogue bias"), ps = gelu ? lc.floats(pre, (long) m * n, "matmulEpilogue pre") : null;
        CudaBuffer os = lc.floats(out, (long) m * n, "matmulEpilogue out");
        String name = v == Variant.V2_TILED_64 ? "gemm_epilogue_v2" : "gemm_epilogue_v3";
        lc.module.launch(name, geometry(v, 1, m, n), new KernelArgs().flag(false).flag(true).i(1).i(m).i(n).i(k).f(1f)
                .ptr(xs).i(0).ptr(ws).i(0).f(0f).ptr(os).ptr(bs).ptr(ps).flag(gelu));
    }

    /**
     * {@code Backend.matmulWeightGrad} in one launch (gemm_wgrad_v2/v3; the tiles of {@link #choose}): dw [n, k] =
     * gᵀ·x (+ dw when {@code accumulateW}) and db [n] = Σ_rows g (+ db when {@code accumulateB}), with g [rows, n] and
     * x [rows, k]. db comes from the g tiles the first column of blocks stages for the product.
     */
    public void weightGrad(Buffer g, Buffer x, int rows, int n, int k, Buffer dw, boolean accumulateW, Buffer db,
                           boolean accumulateB) {
        weightGrad(choose(1, n, k, lc.multiprocessors), g, x, rows, n, k, dw, accumulateW, db, accumulateB);
    }

    /** One variant (V2 or V3), for the parity test. */
    public void weightGrad(Variant v, Buffer g, Buffer x, int rows, int n, int k, Buffer dw, boolean accumulateW, Buffer db,
                           boolean accumulateB) {
        if (v == Variant.V1_NAIVE) throw new IllegalArgumentException("matmulWeightGrad: no naive variant; use V2 or V3");
        checkSizes(1, n, k, rows, g.length(), 0, x.length(), 0, dw.length());
        CudaBuffer gs = lc.required(g, (long) rows * n, "matmulWeightGrad g"), xs = lc.required(x, (long) rows * k, "matmulWeightGrad x");
        CudaBuffer ws = lc.required(dw, (long) n * k, "matmulWeightGrad dw"), bs = lc.required(db, n, "matmulWeightGrad db");
        String name = v == Variant.V2_TILED_64 ? "gemm_wgrad_v2" : "gemm_wgrad_v3";
        lc.module.launch(name, geometry(v, 1, n, k), new KernelArgs().i(n).i(k).i(rows).ptr(gs).ptr(xs)
                .f(accumulateW ? 1f : 0f).ptr(ws).ptr(bs).flag(accumulateB));
    }

    static LaunchConfig geometry(Variant v, int batch, int m, int n) {
        int z = Math.min(batch, 65535);
        if (m > 65535L * tile(v)) {
            throw new IllegalArgumentException("matmul: m = " + m + " rows exceed one launch (" + 65535L * tile(v) + ")");
        }
        return switch (v) {
            case V1_NAIVE -> new LaunchConfig(ceil(n, 16), ceil(m, 16), z, 16, 16, 1, 0);
            case V2_TILED_64 -> new LaunchConfig(ceil(n, 64), ceil(m, 64), z, 256, 1, 1, 0);
            case V3_TILED_128 -> new LaunchConfig(ceil(n, 128), ceil(m, 128), z, 256, 1, 1, 0);
        };
    }

    private static int tile(Variant v) {
        return switch (v) {
            case V1_NAIVE -> 16;
            case V2_TILED_64 -> 64;
            case V3_TILED_128 -> 128;
        };
    }

    /** Checks that every element the batched product touches lies inside the buffers. */
    static void checkSizes(int batch, int m, int n, int k, long aLen, int aBatchStride, long bLen, int bBatchStride,
                           long cLen) {
        if (batch < 0 || m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("matmul: negative size batch=" + batch + " m=" + m + " n=" + n + " k=" + k);
        }
        if (aBatchStride < 0 || bBatchStride < 0) throw new IllegalArgumentException("matmul: negative batch stride");
        if (batch == 0 || m == 0 || n == 0) return;
        long aNeed = (long) (batch - 1) * aBatchStride + (long) m * k;
        long bNeed = (long) (batch - 1) * bBatchStride + (long) k * n;
        long cNeed = (long) batch * m * n;
        if (aLen < aNeed) throw new IllegalArgumentException("matmul: A needs " + aNeed + " elements, has " + aLen);
        if (bLen < bNeed) throw new IllegalArgumentException("matmul: B needs " + bNeed + " elements, has " + bLen);
        if (cLen < cNeed) throw new IllegalArgumentException("matmul: C needs " + cNeed + " elements, has " + cLen);
    }

    static int ceil(long a, int b) {
        return (int) ((a + b - 1) / b);
    }
}
