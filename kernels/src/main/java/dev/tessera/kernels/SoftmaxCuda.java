package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;

/**
 * Launcher for softmax.cu. CPU reference: {@code SoftmaxCpu}. The loop the kernels parallelise:
 * <pre>
 *   for r &lt; rows:                          // v1: thread per row; v2: warp per row; v3: block per row
 *       m = max_c x[r, c];  s = Σ_c exp(x[r, c] − m)
 *       out[r, c] = log ? x − m − log s : exp(x − m)/s
 * </pre>
 * Default: {@link #choose} — V2 up to 1024 columns (a warp walks the row in ≤ 32 steps), V3 beyond.
 */
public final class SoftmaxCuda {

    public enum Variant {
        /** One thread per row: the CPU loop. */
        V1,
        /** One warp per row, block/32 rows per block. */
        V2,
        /** One block per row, for long rows. */
        V3
    }

    static final int V1_BLOCK = 128;
    static final int V2_BLOCK = 256;
    static final int V3_BLOCK = 512;

    private final LaunchContext lc;

    SoftmaxCuda(LaunchContext lc) {
        this.lc = lc;
    }

    public static Variant choose(int cols) {
        return cols <= 1024 ? Variant.V2 : Variant.V3;
    }

    public static int defaultBlock(Variant v) {
        return switch (v) {
            case V1 -> V1_BLOCK;
            case V2 -> V2_BLOCK;
            case V3 -> V3_BLOCK;
        };
    }

    public void forward(Variant v, int block, Buffer x, Buffer out, int rows, int cols, boolean log) {
        long n = (long) rows * cols;
        CudaBuffer xs = lc.required(x, n, "softmax x"), os = lc.required(out, n, "softmax out");
        lc.module.launch("softmax_forward_" + suffix(v), geometry(v, rows, block),
                new KernelArgs().ptr(xs).ptr(os).i(rows).i(cols).flag(log));
    }

    public void backward(Variant v, int block, Buffer dout, Buffer out, Buffer dx, int rows, int cols, boolean log) {
        long n = (long) rows * cols;
        CudaBuffer gs = lc.required(dout, n, "softmax dout"), ys = lc.required(out, n, "softmax out");
        CudaBuffer dxs = lc.floats(dx, n, "softmax dx");
        if (dxs == null) return;
        lc.module.launch("softmax_backward_" + suffix(v), geometry(v, rows, block),
                new KernelArgs().ptr(gs).ptr(ys).ptr(dxs).i(rows).i(cols).flag(log));
    }

    private static String suffix(Variant v) {
        return switch (v) {
            case V1 -> "v1";
            case V2 -> "v2";
            case V3 -> "v3";
        };
    }

    static LaunchConfig geometry(Variant v, int rows, int block) {
        LaunchConfig.checkWarpMultiple("softmax", block);
        return switch (v) {
            case V1 -> new LaunchConfig(ceil(rows, block), 1, 1, block, 1, 1, 0);
            case V2 -> new LaunchConfig(ceil(rows, block / 32), 1, 1, block, 1, 1, 0);
            case V3 -> new LaunchConfig(rows, 1, 1, block, 1, 1, 0);
        };
    }

    static int ceil(long a, int b) {
        return (int) ((a + b - 1) / b);
    }
}
