package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.BinaryOp;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * CPU kernels of the strided primitives: {@code copyStrided} and broadcasting {@code binary}. Both walk the
 * multi-index of {@code shape} like an odometer; the innermost axis runs as a plain loop with fixed strides,
 * which is where the time goes.
 *
 * <p>Before walking, axes are coalesced: neighbouring axes d, d+1 merge when every operand has
 * stride[d] = stride[d+1]·shape[d+1] (they are one run in memory), and axes of size 1 drop out. A contiguous
 * [N, T, D] add becomes one flat loop of N·T·D, and a bias broadcast [rows, C] keeps its two axes. Work is
 * split over the rows of the coalesced view, or over the flat range when a single run is left. Inner loops
 * are specialised on the strides (unit, broadcast scalar, general) and, for binary, on the op, switched
 * once per row: each body is one expression the JIT vectorises. Results are element-for-element the same
 * arithmetic as {@link BinaryOp#apply}, except GELU_GRAD on the fast path, which uses {@link GeluCpu}'s
 * float erf (documented error).
 */
final class StridedCpu {
    private StridedCpu() {}

    /** Elements per parallel chunk. */
    private static final int GRAIN = 16384;

    /**
     * A single flat run is split between threads in whole blocks of this many elements, so that only the run's
     * last elements, whatever the thread count, fall to a kernel's scalar tail. GELU_GRAD's scalar twin may round
     * an element 1 ulp differently from its vector lanes, and a cut at any element made the fused Linear+GELU
     * backward differ between 1 and 3 threads (mae-tiny, 2026-12-07). A multiple of every vector length and of
     * {@link GeluCpu}'s block.
     */
    private static final int FLAT_BLOCK = 2048;

    /** body over [0, n) in thread chunks whose boundaries are multiples of {@link #FLAT_BLOCK}. */
    private static void flat(Parallel par, int n, Parallel.RangeBody body) {
        par.forRange((n + FLAT_BLOCK - 1) / FLAT_BLOCK, GRAIN / FLAT_BLOCK,
                (b0, b1) -> body.run(b0 * FLAT_BLOCK, Math.min(n, b1 * FLAT_BLOCK)));
    }

    /** dst[i·ds] (+)= src[i·ss] for every multi-index i of shape. */
    static void copy(Parallel par, float[] src, int srcOff, int[] ss, float[] dst, int dstOff, int[] ds,
                     int[] shape, boolean accumulate) {
        long total = 1;
        for (int d : shape) total *= d;
        if (total == 0) return;
        int[][] g = coalesce(shape, ss, ds);
        int[] sh = g[0], sst = g[1], dstS = g[2];
        int rank = sh.length;
        if (rank == 0) {
            dst[dstOff] = accumulate ? dst[dstOff] + src[srcOff] : src[srcOff];
            return;
        }
        int inner = sh[rank - 1], sIn = sst[rank - 1], dIn = dstS[rank - 1];
        int rows = (int) (total / inner);
        // Accumulating into a destination with stride 0 somewhere would race between threads: run serially.
        boolean dstOverlaps = false;
        for (int d = 0; d < rank; d++) if (dstS[d] == 0 && sh[d] > 1) dstOverlaps = true;
        boolean serial = accumulate && dstOverlaps;
        if (rows == 1) {
            if (serial) copyRun(src, srcOff, sIn, dst, dstOff, dIn, inner, accumulate);
            else flat(par, inner, (from, to) ->
                    copyRun(src, srcOff + from * sIn, sIn, dst, dstOff + from * dIn, dIn, to - from, accumulate));
            return;
        }
        Parallel.RangeBody body = (from, to) -> {
            int[] idx = new int[rank];
            unflatten(from, sh, rank - 1, idx);
            for (int r = from; r < to; r++) {
                int so = srcOff, dof = dstOff;
                for (int d = 0; d < rank - 1; d++) {
                    so += idx[d] * sst[d];
                    dof += idx[d] * dstS[d];
                }
                copyRun(src, so, sIn, dst, dof, dIn, inner, accumulate);
                increment(idx, sh, rank - 1);
            }
        };
        if (serial) body.run(0, rows);
        else par.forRange(rows, Math.max(1, GRAIN / inner), body);
    }

    /** One run of n elements: dst[j·dIn] (+)= src[j·sIn]. */
    private static void copyRun(float[] src, int so, int sIn, float[] dst, int dof, int dIn, int n, boolean accumulate) {
        boolean fast = CpuBackend.FAST;
        if (accumulate) {
            if (sIn == 1 && dIn == 1) {
                int v = fast ? Vec.both(BinaryOp.ADD, dst, dof, src, so, dst, dof, n) : 0;
                for (int j = v; j < n; j++) dst[dof + j] += src[so + j];
            } else if (sIn == 0 && dIn == 1) {
                float v = src[so];
                int done = fast ? Vec.scalarB(BinaryOp.ADD, dst, dof, v, dst, dof, n) : 0;
                for (int j = done; j < n; j++) dst[dof + j] += v;
            } else if (dIn == 0) {
                float acc = dst[dof];                           // same order as repeated +=
                for (int j = 0; j < n; j++) acc += src[so + j * sIn];
                dst[dof] = acc;
            } else {
                for (int j = 0; j < n; j++) dst[dof + j * dIn] += src[so + j * sIn];
            }
        } else if (sIn == 1 && dIn == 1) {
            System.arraycopy(src, so, dst, dof, n);
        } else if (sIn == 0 && dIn == 1) {
            Arrays.fill(dst, dof, dof + n, src[so]);
        } else {
            for (int j = 0; j < n; j++) dst[dof + j * dIn] = src[so + j * sIn];
        }
    }

    /** out[i] = op(a[i·as], b[i·bs]) with out contiguous over shape; GELU_GRAD on its vector kernel. */
    static void binary(Parallel par, BinaryOp op, float[] a, int aOff, int[] as, float[] b, int bOff, int[] bs,
                       float[] out, int outOff, int[] shape) {
        binary(par, op, a, aOff, as, b, bOff, bs, out, outOff, shape, true);
    }

    /** As above; {@code fast = false} evaluates every element with {@link BinaryOp#apply} (the reference). */
    static void binary(Parallel par, BinaryOp op, float[] a, int aOff, int[] as, float[] b, int bOff, int[] bs,
                       float[] out, int outOff, int[] shape, boolean fast) {
        long total = 1;
        for (int d : shape) total *= d;
        if (total == 0) return;
        int[][] g = coalesce(shape, as, bs, contiguous(shape));
        int[] sh = g[0], ast = g[1], bst = g[2];
        int rank = sh.length;
        if (rank == 0) {
            out[outOff] = op.apply(a[aOff], b[bOff]);
            return;
        }
        int inner = sh[rank - 1], aIn = ast[rank - 1], bIn = bst[rank - 1];
        int rows = (int) (total / inner);
        if (rows == 1) {
            flat(par, inner, (from, to) -> binaryRun(op, fast, a, aOff + from * aIn, aIn,
                    b, bOff + from * bIn, bIn, out, outOff + from, to - from));
            return;
        }
        par.forRange(rows, Math.max(1, GRAIN / inner), (from, to) -> {
            int[] idx = new int[rank];
            unflatten(from, sh, rank - 1, idx);
            for (int r = from; r < to; r++) {
                int ao = aOff, bo = bOff, oo = outOff + r * inner;
                for (int d = 0; d < rank - 1; d++) {
                    ao += idx[d] * ast[d];
                    bo += idx[d] * bst[d];
                }
                binaryRun(op, fast, a, ao, aIn, b, bo, bIn, out, oo, inner);
                increment(idx, sh, rank - 1);
            }
        });
    }

    /** The hot loop over one run; common ops are spelled out so the JIT can vectorise them. */
    private static void binaryRun(BinaryOp op, boolean fast, float[] a, int ao, int aIn, float[] b, int bo, int bIn,
                                  float[] out, int oo, int n) {
        if (!fast) {
            for (int j = 0; j < n; j++) out[oo + j] = op.apply(a[ao + j * aIn], b[bo + j * bIn]);
        } else if (aIn == 1 && bIn == 1) {
            int v = Vec.both(op, a, ao, b, bo, out, oo, n);
            switch (op) {
                case ADD -> { for (int j = v; j < n; j++) out[oo + j] = a[ao + j] + b[bo + j]; }
                case SUB -> { for (int j = v; j < n; j++) out[oo + j] = a[ao + j] - b[bo + j]; }
                case MUL -> { for (int j = v; j < n; j++) out[oo + j] = a[ao + j] * b[bo + j]; }
                case DIV -> { for (int j = v; j < n; j++) out[oo + j] = a[ao + j] / b[bo + j]; }
                case GELU_GRAD -> GeluCpu.backward(a, ao, b, bo, out, oo, n);
                case RELU_GRAD -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j] > 0 ? b[bo + j] : 0f; }
                case TANH_GRAD -> { for (int j = 0; j < n; j++) out[oo + j] = b[bo + j] * (1f - a[ao + j] * a[ao + j]); }
                default -> { for (int j = 0; j < n; j++) out[oo + j] = op.apply(a[ao + j], b[bo + j]); }
            }
        } else if (aIn == 1 && bIn == 0) {
            float bv = b[bo];
            int v = Vec.scalarB(op, a, ao, bv, out, oo, n);
            switch (op) {
                case ADD -> { for (int j = v; j < n; j++) out[oo + j] = a[ao + j] + bv; }
                case SUB -> { for (int j = v; j < n; j++) out[oo + j] = a[ao + j] - bv; }
                case MUL -> { for (int j = v; j < n; j++) out[oo + j] = a[ao + j] * bv; }
                case DIV -> { for (int j = v; j < n; j++) out[oo + j] = a[ao + j] / bv; }
                default -> { for (int j = 0; j < n; j++) out[oo + j] = op.apply(a[ao + j], bv); }
            }
        } else if (aIn == 0 && bIn == 1) {
            float av = a[ao];
            int v = Vec.scalarA(op, av, b, bo, out, oo, n);
            switch (op) {
                case ADD -> { for (int j = v; j < n; j++) out[oo + j] = av + b[bo + j]; }
                case SUB -> { for (int j = v; j < n; j++) out[oo + j] = av - b[bo + j]; }
                case MUL -> { for (int j = v; j < n; j++) out[oo + j] = av * b[bo + j]; }
                default -> { for (int j = 0; j < n; j++) out[oo + j] = op.apply(av, b[bo + j]); }
            }
        } else if (op == BinaryOp.ADD) {
            for (int j = 0; j < n; j++) out[oo + j] = a[ao + j * aIn] + b[bo + j * bIn];
        } else {
            for (int j = 0; j < n; j++) out[oo + j] = op.apply(a[ao + j * aIn], b[bo + j * bIn]);
        }
    }

    /**
     * The unit-stride loops of ADD, SUB, MUL and DIV on the Vector API; each returns how many leading elements it
     * did (a multiple of the vector length; 0 for other ops), and the scalar loop above finishes the run. Same
     * IEEE operation per element, so the same bits. Written out because C2 leaves the plain loops scalar: their
     * arrays may be one array at different offsets, and it cannot prove the runs do not overlap (measured 2–3×
     * slower per element). In its own class so scalar mode never loads the Vector API.
     */
    private static final class Vec {
        private static final VectorSpecies<Float> S = SgemmVector.SPECIES;
        private static final int V = S.length();

        /** out = a ∘ b elementwise. */
        static int both(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
            if (shifted(a, ao, out, oo) || shifted(b, bo, out, oo)) return 0;
            int end = n / V * V;
            switch (op) {
                case ADD -> { for (int j = 0; j < end; j += V) load(a, ao + j).add(load(b, bo + j)).intoArray(out, oo + j); }
                case SUB -> { for (int j = 0; j < end; j += V) load(a, ao + j).sub(load(b, bo + j)).intoArray(out, oo + j); }
                case MUL -> { for (int j = 0; j < end; j += V) load(a, ao + j).mul(load(b, bo + j)).intoArray(out, oo + j); }
                case DIV -> { for (int j = 0; j < end; j += V) load(a, ao + j).div(load(b, bo + j)).intoArray(out, oo + j); }
                default -> end = 0;
            }
            return end;
        }

        /** out = a ∘ bv. */
        static int scalarB(BinaryOp op, float[] a, int ao, float bv, float[] out, int oo, int n) {
            if (shifted(a, ao, out, oo)) return 0;
            int end = n / V * V;
            switch (op) {
                case ADD -> { for (int j = 0; j < end; j += V) load(a, ao + j).add(bv).intoArray(out, oo + j); }
                case SUB -> { for (int j = 0; j < end; j += V) load(a, ao + j).sub(bv).intoArray(out, oo + j); }
                case MUL -> { for (int j = 0; j < end; j += V) load(a, ao + j).mul(bv).intoArray(out, oo + j); }
                case DIV -> { for (int j = 0; j < end; j += V) load(a, ao + j).div(bv).intoArray(out, oo + j); }
                default -> end = 0;
            }
            return end;
        }

        /** out = av ∘ b (ADD, SUB, MUL). */
        static int scalarA(BinaryOp op, float av, float[] b, int bo, float[] out, int oo, int n) {
            if (shifted(b, bo, out, oo)) return 0;
            int end = n / V * V;
            FloatVector x = FloatVector.broadcast(S, av);
            switch (op) {
                case ADD -> { for (int j = 0; j < end; j += V) x.add(load(b, bo + j)).intoArray(out, oo + j); }
                case SUB -> { for (int j = 0; j < end; j += V) x.sub(load(b, bo + j)).intoArray(out, oo + j); }
                case MUL -> { for (int j = 0; j < end; j += V) x.mul(load(b, bo + j)).intoArray(out, oo + j); }
                default -> end = 0;
            }
            return end;
        }

        /**
         * An operand that is the output array at another offset: the runs may overlap, and then the element loop's
         * order (each element read after the ones before it were written) is the definition, so leave it to that.
         */
        private static boolean shifted(float[] in, int io, float[] out, int oo) {
            return in == out && io != oo;
        }

        private static FloatVector load(float[] a, int i) {
            return FloatVector.fromArray(S, a, i);
        }
    }

    // ---------------------------------------------------------------- geometry

    /** Row-major strides of shape (the layout of binary's output). */
    private static int[] contiguous(int[] shape) {
        int[] s = new int[shape.length];
        for (int d = shape.length - 1, acc = 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    /**
     * {shape, strides of each operand} with size-1 axes dropped and mergeable neighbours merged: axes d and
     * d+1 are one run for every operand when stride[d] = stride[d+1]·shape[d+1]. The element visit order
     * (row-major over shape) is unchanged. Only the operands passed are returned (after the shape).
     */
    static int[][] coalesce(int[] shape, int[]... strides) {
        int rank = shape.length, ops = strides.length;
        int[] sh = new int[rank];
        int[][] st = new int[ops][rank];
        int n = 0;
        for (int d = 0; d < rank; d++) {
            if (shape[d] == 1) continue;
            boolean merge = n > 0;
            for (int o = 0; merge && o < ops; o++) merge = st[o][n - 1] == strides[o][d] * shape[d];
            if (merge) {
                sh[n - 1] *= shape[d];
                for (int o = 0; o < ops; o++) st[o][n - 1] = strides[o][d];
            } else {
                sh[n] = shape[d];
                for (int o = 0; o < ops; o++) st[o][n] = strides[o][d];
                n++;
            }
        }
        int[][] out = new int[ops + 1][];
        out[0] = Arrays.copyOf(sh, n);
        for (int o = 0; o < ops; o++) out[o + 1] = Arrays.copyOf(st[o], n);
        return out;
    }

    /** Multi-index of flat row {@code flat} over the first {@code dims} axes of shape. */
    private static void unflatten(int flat, int[] shape, int dims, int[] idx) {
        for (int d = dims - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
    }

    private static void increment(int[] idx, int[] shape, int dims) {
        for (int d = dims - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }
}
