package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;

/**
 * Launcher for gradclip.cu: global gradient-norm clipping without a read-back. CPU reference: {@code GradClipCpu}.
 * <pre>
 *   partial[b] = Σ g[i]² over block b's grid-stride share      (grad_sumsq_partial, {@link #partialBlocks} blocks)
 *   total = √Σ partial;  norm[0] = total;  coef = maxNorm/(total + 1e-6) if finite and &lt; 1, else 1   (grad_clip_finish)
 *   g[i] = coef·g[i]                                            (grad_clip_scale)
 * </pre>
 */
public final class GradClipCuda {
    public static final int DEFAULT_BLOCK = 256;
    /** Blocks per SM for the partial sums: enough to keep HBM busy, few enough for one finishing block. */
    static final int BLOCKS_PER_SM = 4;

    private final LaunchContext lc;

    GradClipCuda(LaunchContext lc) {
        this.lc = lc;
    }

    /** The partial-sum grid: one block per {@code block} elements, at most {@link #BLOCKS_PER_SM} per SM. */
    static int partialBlocks(int n, int block, int multiprocessors) {
        return Math.min(LaunchConfig.blocksFor(n, block), BLOCKS_PER_SM * Math.max(1, multiprocessors));
    }

    public void clip(Buffer grads, float maxNorm, Buffer norm, int block) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("clipGlobalNorm: maxNorm must be positive, got " + maxNorm);
        int n = grads.length();
        CudaBuffer g = lc.required(grads, n, "clipGlobalNorm grads"), out = lc.required(norm, 1, "clipGlobalNorm norm");
        LaunchConfig.checkWarpMultiple("grad_clip", block);
        int parts = partialBlocks(n, block, lc.multiprocessors);   // 0 when n is: the norm is 0
        CudaBuffer scratch = lc.scratch(parts + 1L);          // the partial sums, then the coefficient
        CudaBuffer coef = (CudaBuffer) scratch.slice(parts, 1);
        lc.module.launch("grad_sumsq_partial", new LaunchConfig(parts, 1, 1, block, 1, 1, 0),
                new KernelArgs().ptr(g).i(n).ptr(scratch));
        lc.module.launch("grad_clip_finish", new LaunchConfig(1, 1, 1, block, 1, 1, 0),
                new KernelArgs().ptr(scratch).i(parts).f(maxNorm).ptr(out).ptr(coef));
        lc.module.launch("grad_clip_scale", new LaunchConfig(parts, 1, 1, block, 1, 1, 0),
                new KernelArgs().ptr(g).i(n).ptr(coef));
        lc.release(scratch);
    }
}
