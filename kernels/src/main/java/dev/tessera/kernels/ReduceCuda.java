package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.ReduceOp;

/**
 * Launcher for reduce.cu: SUM/MAX along the middle axis of [outer, length, inner], and argmax.
 * CPU reference: {@code ReduceCpu}. The loop the kernels parallelise:
 * <pre>
 *   for (int r = 0; r &lt; outer·inner; r++)          // v1: one thread per r; v2: one block per r
 *       for (int k = 0; k &lt; length; k++)          // v2: threads stride over k; v3: split into chunks
 *           acc = combine(acc, x[(r / inner · length + k) · inner + r % inner]);
 * </pre>
 * Which version is fastest depends on the shape, so the default is a rule ({@link #choose}), not one variant:
 * many outputs with inner &gt; 1 → V1 (coalesced over i); many rows (inner == 1) → V2; few outputs over a
 * long axis → V3 (bias gradients, full sums).
 */
public final class ReduceCuda {

    public enum Variant {
        /** One thread per output: the CPU loop. */
        V1_THREAD_PER_OUTPUT,
        /** One block per output, block tree reduction. */
        V2_BLOCK_PER_OUTPUT,
        /** Interleaved split of the reduced axis into chunks, then V1 over the partials. */
        V3_SPLIT
    }

    /** A variant with its block size and (for V3) chunk count. */
    public record Plan(Variant variant, int block, int chunks) {}

    static final int V1_BLOCK = 256;
    static final int V3_BLOCK = 256;
    static final int ARGMAX_BLOCK = 256;

    private final LaunchContext lc;

    ReduceCuda(LaunchContext lc) {
        this.lc = lc;
    }

    /**
     * The default rule. Rows (inner == 1): a block per row (V2) once there are enough rows to give every SM
     * a couple of blocks, unless rows are so short that a block would idle (V1). Columns (inner &gt; 1): a
     * thread per output (V1, coalesced over i) once there are enough outputs to fill the GPU with threads.
     * Otherwise — few outputs over a long axis (bias gradients, a full sum) — split the axis (V3).
     */
    public static Plan choose(int outer, int length, int inner, int multiprocessors) {
        long outputs = (long) outer * inner;
        int sms = Math.max(1, multiprocessors);
        boolean bigWork = outputs * length >= (1L << 16) && length >= 64;
        if (inner == 1) {
            if (length < 64) return new Plan(Variant.V1_THREAD_PER_OUTPUT, V1_BLOCK, 0);
            if (outputs >= 2L * sms || !bigWork) return new Plan(Variant.V2_BLOCK_PER_OUTPUT, v2Block(length), 0);
        } else if (outputs >= 256L * sms || !bigWork) {
            return new Plan(Variant.V1_THREAD_PER_OUTPUT, V1_BLOCK, 0);
        }
        return new Plan(Variant.V3_SPLIT, V3_BLOCK, v3Chunks(outputs, length, sms));
    }

    /** Enough chunks for ~2048 threads per SM in the partial pass, each chunk at least 16 elements long. */
    static int v3Chunks(long outputs, int length, int multiprocessors) {
        long targetThreads = 2048L * Math.max(1, multiprocessors);
        long chunks = Math.max(1, targetThreads / Math.max(1, outputs));
        chunks = Math.min(chunks, Math.max(1, length / 16));
        chunks = Math.min(chunks, Integer.MAX_VALUE / Math.max(1, outputs));
        return (int) Math.max(1, chunks);
    }

    /** Smallest power of two ≥ length/4, clamped to [32, 1024]. */
    static int v2Block(int length) {
        int want = Math.max(32, Math.min(1024, (length + 3) / 4));
        return Math.max(32, Integer.highestOneBit(want - 1) << 1);
    }

    public void reduce(ReduceOp op, Buffer x, int outer, int length, int inner, Buffer out) {
        reduce(choose(outer, length, inner, lc.multiprocessors), op, x, outer, length, inner, out);
    }

    public void reduce(Plan plan, ReduceOp op, Buffer x, int outer, int length, int inner, Buffer out) {
        long outputs = (long) outer * inner;
        CudaBuffer xs = lc.floats(x, outputs * length, "reduce x"), os = lc.floats(out, outputs, "reduce out");
        if (outputs == 0) return;
        int code = op == ReduceOp.SUM ? 0 : 1;
        switch (plan.variant()) {
            case V1_THREAD_PER_OUTPUT -> lc.module.launch("reduce_v1", v1Geometry(outputs, plan.block()),
                    new KernelArgs().i(code).ptr(xs).ptr(os).i(outer).i(length).i(inner));
            case V2_BLOCK_PER_OUTPUT -> lc.module.launch("reduce_v2", v2Geometry(outputs, plan.block()),
                    new KernelArgs().i(code).ptr(xs).ptr(os).i(outer).i(length).i(inner));
            case V3_SPLIT -> {
                int chunks = Math.max(1, plan.chunks());
                CudaBuffer partial = lc.scratch(outputs * chunks);
                lc.module.launch("reduce_v3_partial", v1Geometry(outputs * chunks, plan.block()),
                        new KernelArgs().i(code).ptr(xs).ptr(partial).i(outer).i(length).i(inner).i(chunks));
                lc.module.launch("reduce_v1", v1Geometry(outputs, plan.block()),
                        new KernelArgs().i(code).ptr(partial).ptr(os).i(outer).i(chunks).i(inner));
                lc.release(partial);
            }
        }
    }

    public void argmax(Buffer x, int outer, int length, int inner, Buffer outIndices, int block) {
        long outputs = (long) outer * inner;
        CudaBuffer xs = lc.floats(x, outputs * length, "argmax x");
        CudaBuffer os = lc.ints(outIndices, outputs, "argmax out");
        if (outputs == 0) return;
        lc.module.launch("argmax_kernel", v2Geometry(outputs, block),
                new KernelArgs().ptr(xs).ptr(os).i(outer).i(length).i(inner));
    }

    static LaunchConfig v1Geometry(long threads, int block) {
        return LaunchConfig.linear(threads, LaunchConfig.checkWarpMultiple("reduce_v1", block));
    }

    /** One block per output (grid-stride over outputs beyond the grid limit). */
    static LaunchConfig v2Geometry(long outputs, int block) {
        LaunchConfig.checkWarpMultiple("reduce_v2", block);
        return new LaunchConfig((int) Math.min(outputs, Integer.MAX_VALUE), 1, 1, block, 1, 1, 0);
    }
}
