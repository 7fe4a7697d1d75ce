package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;

/**
 * Launcher for column_sums.cu: {@code out[c] += Σ_r x[r, c]}, a bias gradient in one launch. CPU reference:
 * {@code CpuBackend.addColumnSums}. The loop, one block per 32 columns and 32 row lanes:
 * <pre>
 *   partial[y][c] = Σ over r ≡ y (mod 32) of x[r, c];   out[c] += Σ over y of partial[y][c]
 * </pre>
 */
public final class ColumnSumsCuda {
    /** Row lanes per block (COLUMN_SUMS_ROWS in the kernel; the block is 32 columns × this). */
    static final int ROW_LANES = 32;

    private final LaunchContext lc;

    ColumnSumsCuda(LaunchContext lc) {
        this.lc = lc;
    }

    static LaunchConfig config(int rows, int cols) {
        return new LaunchConfig(rows == 0 ? 0 : LaunchConfig.blocksFor(cols, 32), 1, 1, 32, ROW_LANES, 1, 0);
    }

    public void addColumnSums(Buffer x, int rows, int cols, Buffer out) {
        if (rows < 0 || cols < 0 || x.length() != (long) rows * cols || out.length() != cols) {
            throw new IllegalArgumentException("addColumnSums: x has " + x.length() + " elements and out " + out.length()
                    + " for [" + rows + ", " + cols + "]");
        }
        lc.module.launch("column_sums_add", config(rows, cols), new KernelArgs().ptr(lc.required(x, (long) rows * cols, "addColumnSums x"))
                .i(rows).i(cols).ptr(lc.required(out, cols, "addColumnSums out")));
    }
}
