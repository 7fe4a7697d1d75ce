package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;

/**
 * Launcher for residual.cu: {@code Backend.scaledResidual} (one launch) and {@code scaledResidualBackward} (one, or two
 * with gamma's gradient). CPU reference: {@code ScaledResidualCpu}. The loops, over [samples, rows, cols]:
 * <pre>
 *   forward:  out[s, r, c] = x + (a·gamma[c])·keep[s]                      one thread per element
 *   backward: gt = g·keep[s]; da (+)= gt·gamma[c]                         a block per (32 columns, sample),
 *             perSample[s, c] = Σ_r gt·a;  dgamma[c] = Σ_s perSample[s, c]  8 row lanes; then one thread per column
 * </pre>
 */
public final class ResidualCuda {
    /** Threads per block of the forward map. */
    static final int FORWARD_BLOCK = 256;
    /** Row lanes per backward block (RESIDUAL_ROWS in the kernel; the block is 32 columns × this). */
    static final int ROW_LANES = 8;
    /** Threads per block of the dgamma finish. */
    static final int FINISH_BLOCK = 128;

    private final LaunchContext lc;

    ResidualCuda(LaunchContext lc) {
        this.lc = lc;
    }

    static LaunchConfig backwardConfig(int samples, int rows, int cols) {
        if (samples > 65535) {
            throw new IllegalArgumentException("scaledResidualBackward: " + samples + " samples exceed one launch's grid.y (65535)");
        }
        return new LaunchConfig(rows == 0 || cols == 0 ? 0 : LaunchConfig.blocksFor(cols, 32), samples, 1, 32, ROW_LANES, 1, 0);
    }

    public void forward(Buffer x, Buffer a, Buffer gamma, Buffer keep, int samples, int rows, int cols, Buffer out) {
        long n = check("scaledResidual", samples, rows, cols, gamma, keep);
        lc.module.launch("scaled_residual_forward", LaunchConfig.linear(n, FORWARD_BLOCK), new KernelArgs()
                .ptr(lc.required(x, n, "scaledResidual x")).ptr(lc.required(a, n, "scaledResidual a"))
                .ptr(lc.floats(gamma, cols, "scaledResidual gamma")).ptr(lc.floats(keep, samples, "scaledResidual keep"))
                .i(samples).i(rows).i(cols).ptr(lc.required(out, n, "scaledResidual out")));
    }

    public void backward(Buffer g, Buffer a, Buffer gamma, Buffer keep, int samples, int rows, int cols, Buffer da,
                         boolean accumulate, Buffer dgamma) {
        long n = check("scaledResidualBackward", samples, rows, cols, gamma, keep);
        if (dgamma != null && dgamma.length() != cols) {
            throw new IllegalArgumentException("scaledResidualBackward: dgamma has " + dgamma.length() + " elements for "
                    + cols + " columns");
        }
        boolean sums = gamma != null && dgamma != null;
        if (da == null && !sums) return;
        CudaBuffer ds = sums ? lc.required(dgamma, cols, "scaledResidualBackward dgamma") : null;
        CudaBuffer perSample = sums && rows > 0 ? lc.scratch((long) samples * cols) : null;
        lc.module.launch("scaled_residual_backward", backwardConfig(samples, rows, cols), new KernelArgs()
                .ptr(lc.required(g, n, "scaledResidualBackward g")).ptr(lc.required(a, n, "scaledResidualBackward a"))
                .ptr(lc.floats(gamma, cols, "scaledResidualBackward gamma"))
                .ptr(lc.floats(keep, samples, "scaledResidualBackward keep")).i(rows).i(cols)
                .ptr(lc.floats(da, n, "scaledResidualBackward da")).flag(accumulate).ptr(perSample));
        if (sums) {
            lc.module.launch("scaled_residual_dgamma_finish", LaunchConfig.linear(cols, FINISH_BLOCK), new KernelArgs()
                    .ptr(perSample).i(rows > 0 ? samples : 0).i(cols).ptr(ds));
        }
        if (perSample != null) lc.release(perSample);
    }

    /** Checks gamma's and keep's lengths; returns the element count (the full buffers are checked at launch). */
    private static long check(String op, int samples, int rows, int cols, Buffer gamma, Buffer keep) {
        if (samples < 0 || rows < 0 || cols < 0) {
            throw new IllegalArgumentException(op + ": negative size [" + samples + ", " + rows + ", " + cols + "]");
        }
        if (gamma != null && gamma.length() != cols) {
            throw new IllegalArgumentException(op + ": gamma has " + gamma.length() + " elements for " + cols + " columns");
        }
        if (keep != null && keep.length() != samples) {
            throw new IllegalArgumentException(op + ": keep has " + keep.length() + " elements for " + samples + " samples");
        }
        return (long) samples * rows * cols;
    }
}
