package dev.tessera.kernels;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.Buffer;
import jcuda.driver.CUdeviceptr;

/**
 * Launcher for adamw.cu: one fused AdamW step over the flat parameter store. CPU reference: {@code AdamWCpu}.
 * The loop, one thread per i:
 * <pre>
 *   m[i] = β1·m[i] + (1−β1)·g[i];   v[i] = β2·v[i] + (1−β2)·g[i]·g[i]
 *   p[i] = p[i]·decay − stepSize·m[i] / (√v[i] / bc2Sqrt + eps)
 * </pre>
 * The per-step scalars are computed here with the very expressions AdamWCpu uses (double bias corrections,
 * then rounded to float), and the kernel repeats AdamWCpu's float operations in order without FMA
 * contraction, so the GPU result is bit-identical to the CPU's.
 *
 * <p>The kernel also sets a device word when it writes a NaN or infinity into m, v or p; {@link #nonFinite}
 * reads and clears it (one 4-byte copy after the queue, so call it when the queue has drained anyway).
 */
public final class AdamWCuda implements AutoCloseable {
    public static final int DEFAULT_BLOCK = 256;

    private final CudaContext ctx;
    private final LaunchContext lc;
    private final ResourceStack resources = new ResourceStack();
    private final DeviceAllocator.Allocation flag;
    private final CudaDriver.HostMemory hostFlag;
    private boolean launchedSinceCheck;
    private long launches;

    AdamWCuda(CudaContext ctx, LaunchContext lc) {
        this.ctx = ctx;
        this.lc = lc;
        try {
            flag = lc.allocator.allocate(4);
            resources.push("AdamW non-finite word", () -> lc.allocator.release(flag));
            hostFlag = ctx.driver().mallocHost(4);
            resources.push("pinned AdamW non-finite word", () -> ctx.driver().freeHost(hostFlag));
            clear();
        } catch (RuntimeException | Error e) {
            resources.closeAfter(e);
            throw e;
        }
    }

    private void clear() {
        ctx.driver().memset(flag.ptr(), 0, 1, ctx.stream());
    }

    /** The device word the kernel sets (for tests that read it directly). */
    CUdeviceptr flagPointer() {
        return flag.ptr();
    }

    /**
     * Whether a step since the last call wrote a NaN or infinity; clears the word. Waits for the queue (a
     * 4-byte copy behind it), and costs nothing when no step ran since the last call.
     */
    public boolean nonFinite() {
        if (!launchedSinceCheck) return false;
        launchedSinceCheck = false;
        ctx.driver().copyToHost(hostFlag.pointer(), flag.ptr(), 4, ctx.stream());
        ctx.synchronize();
        boolean set = hostFlag.view().clear().asIntBuffer().get(0) != 0;
        if (set) clear();
        return set;
    }

    @Override
    public void close() {
        resources.close();
    }

    /** The host-side scalars in kernel argument order: b1, b2, 1−b1, 1−b2, eps, stepSize, bc2Sqrt, decay. */
    static float[] scalars(AdamWStep s) {
        return s.scalars();
    }

    /** A replay of a captured step that launched the update: {@link #nonFinite} must read the word again. */
    void launchedByGraph() {
        launchedSinceCheck = true;
    }

    /** Update launches queued (or captured) so far. */
    long launches() {
        return launches;
    }

    public void step(Buffer param, Buffer grad, Buffer m, Buffer v, AdamWStep step, int block) {
        int n = param.length();
        for (Buffer b : new Buffer[] {grad, m, v}) {
            if (b.length() != n) throw new IllegalArgumentException("adamW: " + n + " host elements for a buffer of " + b.length());
        }
        CudaBuffer ps = lc.required(param, n, "adamW param"), gs = lc.required(grad, n, "adamW grad");
        CudaBuffer ms = lc.required(m, n, "adamW m"), vs = lc.required(v, n, "adamW v");
        KernelArgs args = new KernelArgs().ptr(ps).ptr(gs).ptr(ms).ptr(vs).i(n);
        for (float f : scalars(step)) args.f(f);
        args.ptr(flag.ptr());
        lc.module.launch("adamw_step", LaunchConfig.linear(n, LaunchConfig.checkWarpMultiple("adamw", block)), args);
        launchedSinceCheck = true;
        launches++;
    }

    /** Blocks per SM of the ranged kernel: its grid strides over a group whose size only the device table holds. */
    static final int RANGES_BLOCKS_PER_SM = 8;

    /** The ranged kernel's grid: enough for the whole store, at most {@link #RANGES_BLOCKS_PER_SM} blocks per SM. */
    static LaunchConfig rangesConfig(int n, int count, int block, int multiprocessors) {
        LaunchConfig.checkWarpMultiple("adamw", block);
        int blocks = count == 0 ? 0 : Math.min(LaunchConfig.blocksFor(n, block), RANGES_BLOCKS_PER_SM * Math.max(1, multiprocessors));
        return new LaunchConfig(blocks, 1, 1, block, 1, 1, 0);
    }

    /**
     * {@code Backend.adamWRanges}: one launch over {@code count} ranges of the flat buffers (the table is on the device:
     * count offsets, then count + 1 running totals from 0; the CPU reference checks a table, the kernel skips elements
     * a bad one puts outside the buffers). The step's constants are read from {@code scalars}
     * ({@link AdamWStep#SCALARS} floats on the device, {@code Backend.adamWScalars}).
     */
    public void stepRanges(Buffer param, Buffer grad, Buffer m, Buffer v, Buffer ranges, int count, Buffer scalars, int block) {
        int n = param.length();
        for (Buffer b : new Buffer[] {grad, m, v}) {
            if (b.length() != n) throw new IllegalArgumentException("adamWRanges: buffers of " + n + " and " + b.length() + " elements");
        }
        if (count < 0 || ranges.length() != 2 * count + 1) {
            throw new IllegalArgumentException("adamWRanges: a table of " + count + " ranges has " + (2 * count + 1)
                    + " elements, got " + ranges.length());
        }
        CudaBuffer ps = lc.required(param, n, "adamW param"), gs = lc.required(grad, n, "adamW grad");
        CudaBuffer ms = lc.required(m, n, "adamW m"), vs = lc.required(v, n, "adamW v");
        KernelArgs args = new KernelArgs().ptr(ps).ptr(gs).ptr(ms).ptr(vs).i(n).ptr(lc.ints(ranges, 2L * count + 1, "adamW ranges"))
                .i(count).ptr(lc.required(scalars, AdamWStep.SCALARS, "adamW scalars")).ptr(flag.ptr());
        lc.module.launch("adamw_ranges", rangesConfig(n, count, block, lc.multiprocessors), args);
        launchedSinceCheck = true;
        launches++;
    }
}
