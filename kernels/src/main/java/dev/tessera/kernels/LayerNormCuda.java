package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;

/**
 * Launcher for layernorm.cu. CPU reference: {@code LayerNormCpu} (same argument order, same saved mean/rstd).
 * The loops the kernels parallelise:
 * <pre>
 *   forward:  for r &lt; rows:   μ, r = stats(x[r, :]);  out[r, c] = (x[r, c] − μ)·r·w[c] + b[c]
 *             v1: one thread per row; v2: one warp per row, lanes stride over c
 *   backward: for r &lt; rows:   dx[r, :] += r·(g − mean(g) − x̂·mean(g·x̂))      (v1 thread / v2 warp per row)
 *             for c &lt; cols:   dw[c] += Σ_r dy·x̂,  db[c] += Σ_r dy
 *             v1: one thread per column; v2: 32×8 blocks write per-row-chunk partial sums,
 *                 then one thread per column adds the chunks in order (deterministic)
 * </pre>
 */
public final class LayerNormCuda {

    public enum Variant {
        /** Thread per row (forward, dx) and per column (dw/db): the CPU loops. */
        V1,
        /** Warp per row; dw/db via chunked partial sums and a second, ordered reduction. */
        V2
    }

    public static final Variant DEFAULT = Variant.V2;
    /** V2: 8 warps, so 8 rows per block. */
    public static final int DEFAULT_BLOCK = 256;

    private final LaunchContext lc;

    LayerNormCuda(LaunchContext lc) {
        this.lc = lc;
    }

    public void forward(Variant v, int block, Buffer x, Buffer weight, Buffer bias, Buffer out, Buffer mean,
                        Buffer rstd, int rows, int cols, float eps) {
        long n = (long) rows * cols;
        CudaBuffer xs = lc.required(x, n, "layerNorm x"), ws = lc.required(weight, cols, "layerNorm weight");
        CudaBuffer bs = lc.required(bias, cols, "layerNorm bias"), os = lc.required(out, n, "layerNorm out");
        CudaBuffer ms = lc.required(mean, rows, "layerNorm mean"), rs = lc.required(rstd, rows, "layerNorm rstd");
        lc.module.launch(v == Variant.V1 ? "layernorm_forward_v1" : "layernorm_forward_v2", rowGeometry(v, rows, block),
                new KernelArgs().ptr(xs).ptr(ws).ptr(bs).ptr(os).ptr(ms).ptr(rs).i(rows).i(cols).f(eps));
    }

    public void backward(Variant v, int block, Buffer dout, Buffer x, Buffer weight, Buffer mean, Buffer rstd,
                         Buffer dx, Buffer dweight, Buffer dbias, int rows, int cols) {
        long n = (long) rows * cols;
        CudaBuffer gs = lc.required(dout, n, "layerNorm dout"), xs = lc.required(x, n, "layerNorm x");
        CudaBuffer ws = lc.required(weight, cols, "layerNorm weight");
        CudaBuffer ms = lc.required(mean, rows, "layerNorm mean"), rs = lc.required(rstd, rows, "layerNorm rstd");
        CudaBuffer dxs = lc.floats(dx, n, "layerNorm dx");
        CudaBuffer dws = lc.floats(dweight, cols, "layerNorm dweight"), dbs = lc.floats(dbias, cols, "layerNorm dbias");
        if (rows == 0 || cols == 0) return;
        if (v == Variant.V2 && dxs != null && (dws != null || dbs != null) && cols <= FUSED_MAX_COLS) {
            // dx and the per-chunk dw/db partials in one pass over the rows, then the chunk sums (layernorm.cu).
            int rowsPerChunk = fusedRowsPerChunk(rows, lc.multiprocessors);
            int chunks = ceil(rows, rowsPerChunk);
            CudaBuffer pw = lc.scratch((long) chunks * cols), pb = lc.scratch((long) chunks * cols);
            lc.module.launch("layernorm_backward_fused", new LaunchConfig(chunks, 1, 1, 32 * FUSED_WARPS, 1, 1, 0),
                    new KernelArgs().ptr(gs).ptr(xs).ptr(ws).ptr(ms).ptr(rs).ptr(dxs).ptr(pw).ptr(pb)
                            .i(rows).i(cols).i(rowsPerChunk));
            lc.module.launch("layernorm_backward_dwdb_finish", LaunchConfig.linear(cols, 128),
                    new KernelArgs().ptr(pw).ptr(pb).ptr(dws).ptr(dbs).i(chunks).i(cols));
            lc.release(pw);
            lc.release(pb);
            return;
        }
        if (dxs != null) {
            lc.module.launch(v == Variant.V1 ? "layernorm_backward_dx_v1" : "layernorm_backward_dx_v2",
                    rowGeometry(v, rows, block),
                    new KernelArgs().ptr(gs).ptr(xs).ptr(ws).ptr(ms).ptr(rs).ptr(dxs).i(rows).i(cols));
        }
        if (dws == null && dbs == null) return;
        if (v == Variant.V1) {
            lc.module.launch("layernorm_backward_dwdb_v1", LaunchConfig.linear(cols, 128),
                    new KernelArgs().ptr(gs).ptr(xs).ptr(ms).ptr(rs).ptr(dws).ptr(dbs).i(rows).i(cols));
            return;
        }
        int rowsPerChunk = rowsPerChunk(rows, cols, lc.multiprocessors);
        int chunks = ceil(rows, rowsPerChunk);
        CudaBuffer pw = lc.scratch((long) chunks * cols), pb = lc.scratch((long) chunks * cols);
        lc.module.launch("layernorm_backward_dwdb_partial", partialGeometry(rows, cols, rowsPerChunk),
                new KernelArgs().ptr(gs).ptr(xs).ptr(ms).ptr(rs).ptr(pw).ptr(pb).i(rows).i(cols).i(rowsPerChunk));
        lc.module.launch("layernorm_backward_dwdb_finish", LaunchConfig.linear(cols, 128),
                new KernelArgs().ptr(pw).ptr(pb).ptr(dws).ptr(dbs).i(chunks).i(cols));
        lc.release(pw);
        lc.release(pb);
    }

    /** The fused backward's limits, as in layernorm.cu: LN_FUSED_MAX_COLS and LN_FUSED_WARPS. */
    static final int FUSED_MAX_COLS = 1024, FUSED_WARPS = 8;

    /**
     * Rows per block of the fused backward: two blocks per SM, the most that fit (128 registers × 256 threads,
     * ptxas on sm_80), because each block's partials cost a row of the finishing sum, so blocks beyond one
     * resident wave only add work; and at least one row per warp.
     */
    static int fusedRowsPerChunk(int rows, int multiprocessors) {
        int wantChunks = 2 * Math.max(1, multiprocessors);
        return Math.max(FUSED_WARPS, ceil(rows, wantChunks));
    }

    /** V1: one thread per row; V2: one warp per row, block/32 rows per block. */
    static LaunchConfig rowGeometry(Variant v, int rows, int block) {
        LaunchConfig.checkWarpMultiple("layernorm", block);
        int perBlock = v == Variant.V1 ? block : block / 32;
        return new LaunchConfig(ceil(rows, perBlock), 1, 1, block, 1, 1, 0);
    }

    /**
     * Rows per chunk of the dw/db partial pass: enough chunks that the [colBlocks, chunks] grid gives every
     * SM about four blocks, at least 32 rows per chunk so each block has work, and at most 65535 chunks
     * (the grid.y limit). Always a multiple of 8 (the block's row phases).
     */
    static int rowsPerChunk(int rows, int cols, int multiprocessors) {
        int colBlocks = Math.max(1, ceil(cols, 32));
        int wantChunks = Math.max(1, ceil(4L * Math.max(1, multiprocessors), colBlocks));
        long perChunk = Math.max(32, ceil(rows, wantChunks));
        perChunk = Math.max(perChunk, ceil(rows, 65535));
        perChunk = (perChunk + 7) / 8 * 8;
        return (int) Math.min(perChunk, Integer.MAX_VALUE - 7);
    }

    static LaunchConfig partialGeometry(int rows, int cols, int rowsPerChunk) {
        return new LaunchConfig(ceil(cols, 32), ceil(rows, rowsPerChunk), 1, 32, 8, 1, 0);
    }

    static int ceil(long a, int b) {
        return (int) ((a + b - 1) / b);
    }
}
