package dev.tessera.kernels;

import dev.tessera.engine.backend.BinaryOp;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.UnaryOp;

/**
 * Launcher for strided.cu: copyStrided, unary and broadcasting binary ops. CPU reference:
 * {@code StridedCpu} (copy, binary) and {@code CpuBackend.unary}.
 *
 * <p>The CPU loop these kernels parallelise, one thread per iteration of the flattened odometer:
 * <pre>
 *   for (every multi-index i of shape)  dst[Σ i·ds] (+)= src[Σ i·ss]       // copy
 *   for (int j = 0; j &lt; n; j++)          out[j] = op(x[j], p)               // unary
 *   for (every multi-index i of shape)  out[flat(i)] = op(a[Σ i·as], b[Σ i·bs])   // binary
 * </pre>
 * Before launching, {@link StridedLayout#coalesce} merges axes so most calls arrive with rank 1 or 2.
 * An accumulating copy whose destination has a 0 stride (several sources add into one element — the
 * backward of a broadcast) uses the atomicAdd kernel; the CPU runs that case serially.
 * One version per kernel (memory-bound; see strided.cu), so no Variant enum; the block size is a parameter
 * so the parity test can sweep it.
 */
public final class StridedCuda {
    public static final int DEFAULT_BLOCK = 256;

    private final LaunchContext lc;

    StridedCuda(LaunchContext lc) {
        this.lc = lc;
    }

    public void copy(Buffer src, int[] srcStrides, Buffer dst, int[] dstStrides, int[] shape, boolean accumulate,
                     int block) {
        StridedLayout l = StridedLayout.coalesce(shape, srcStrides, dstStrides);
        int n = l.size();
        if (n == 0) return;
        CudaBuffer s = inRange(src, l, 0, "copyStrided src"), d = inRange(dst, l, 1, "copyStrided dst");
        boolean atomic = accumulate && l.hasBroadcast(1);
        KernelArgs args = new KernelArgs().ptr(s).ptr(d).i(n).i(l.rank()).dims(l.dims8(l.shape()))
                .dims(l.dims8(l.strides()[0])).dims(l.dims8(l.strides()[1]));
        if (!atomic) args.flag(accumulate);
        lc.module.launch(atomic ? "strided_copy_atomic" : "strided_copy", geometry(n, block), args);
    }

    public void unary(UnaryOp op, float param, Buffer x, Buffer out, int block) {
        int n = x.length();
        if (out.length() != n) {
            throw new IllegalArgumentException("unary " + op + ": " + n + " inputs for an output of " + out.length());
        }
        CudaBuffer xs = lc.floats(x, n, "unary " + op + " x"), os = lc.floats(out, n, "unary " + op + " out");
        lc.module.launch("unary_map", geometry(n, block),
                new KernelArgs().i(code(op)).f(param).ptr(xs).ptr(os).i(n));
    }

    public void binary(BinaryOp op, Buffer a, int[] aStrides, Buffer b, int[] bStrides, Buffer out, int[] shape,
                       int block) {
        // out is contiguous over shape; adding its row-major strides to the coalescing keeps flat index = offset.
        int[] outStrides = contiguousStrides(shape);
        StridedLayout l = StridedLayout.coalesce(shape, aStrides, bStrides, outStrides);
        int n = l.size();
        if (n == 0) return;
        CudaBuffer as = inRange(a, l, 0, "binary " + op + " a"), bs = inRange(b, l, 1, "binary " + op + " b");
        CudaBuffer os = lc.floats(out, n, "binary " + op + " out");
        lc.module.launch("binary_strided", geometry(n, block),
                new KernelArgs().i(code(op)).ptr(as).ptr(bs).ptr(os).i(n).i(l.rank()).dims(l.dims8(l.shape()))
                        .dims(l.dims8(l.strides()[0])).dims(l.dims8(l.strides()[1])));
    }

    private CudaBuffer inRange(Buffer b, StridedLayout l, int strideSet, String what) {
        long[] r = l.offsetRange(strideSet);
        if (r[0] < 0) throw new IllegalArgumentException(what + ": strides reach offset " + r[0] + " < 0");
        return lc.floats(b, r[1] + 1, what);
    }

    /** One thread per element, grid-stride kernels. */
    static LaunchConfig geometry(int n, int block) {
        return LaunchConfig.linear(n, LaunchConfig.checkWarpMultiple("strided", block));
    }

    static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        long st = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = (int) Math.min(st, Integer.MAX_VALUE);
            st *= Math.max(1, shape[d]);
        }
        return s;
    }

    /** The op code common.cuh's UnaryCode gives {@code op} (OpCodesTest checks the two stay in step). */
    static int code(UnaryOp op) {
        return switch (op) {
            case NEG -> 0;
            case EXP -> 1;
            case LOG -> 2;
            case SQRT -> 3;
            case RSQRT -> 4;
            case TANH -> 5;
            case RELU -> 6;
            case GELU -> 7;
            case RECIPROCAL -> 8;
            case SQUARE -> 9;
            case POW -> 10;
            case SCALE -> 11;
            case ADD_SCALAR -> 12;
        };
    }

    /** The op code common.cuh's BinaryCode gives {@code op}. */
    static int code(BinaryOp op) {
        return switch (op) {
            case ADD -> 0;
            case SUB -> 1;
            case MUL -> 2;
            case DIV -> 3;
            case MAX -> 4;
            case MIN -> 5;
            case GELU_GRAD -> 6;
            case RELU_GRAD -> 7;
            case TANH_GRAD -> 8;
        };
    }
}
