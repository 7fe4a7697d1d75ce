package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.BinaryOp;

/**
 * CPU reference of the strided primitives: {@code copyStrided} and broadcasting {@code binary}. Both walk the
 * multi-index of {@code shape} like an odometer; the innermost axis runs as a plain loop with fixed strides,
 * which is where the time goes. Work is split over the outermost axis (or the flat range when contiguous).
 */
final class StridedCpu {
    private StridedCpu() {}

    /** dst[i·ds] (+)= src[i·ss] for every multi-index i of shape. */
    static void copy(Parallel par, float[] src, int srcOff, int[] ss, float[] dst, int dstOff, int[] ds,
                     int[] shape, boolean accumulate) {
        int rank = shape.length;
        long total = 1;
        for (int d : shape) total *= d;
        if (total == 0) return;
        if (rank == 0) {
            dst[dstOff] = accumulate ? dst[dstOff] + src[srcOff] : src[srcOff];
            return;
        }
        int inner = shape[rank - 1], sIn = ss[rank - 1], dIn = ds[rank - 1];
        int rows = (int) (total / inner);
        // Accumulating into a destination with stride 0 somewhere would race between threads: run serially.
        boolean dstOverlaps = false;
        for (int d = 0; d < rank; d++) if (ds[d] == 0 && shape[d] > 1) dstOverlaps = true;
        Parallel.RangeBody body = (from, to) -> {
            int[] idx = new int[rank];
            unflatten(from, shape, rank - 1, idx);
            for (int r = from; r < to; r++) {
                int so = srcOff, dof = dstOff;
                for (int d = 0; d < rank - 1; d++) {
                    so += idx[d] * ss[d];
                    dof += idx[d] * ds[d];
                }
                if (accumulate) {
                    for (int j = 0; j < inner; j++) dst[dof + j * dIn] += src[so + j * sIn];
                } else if (sIn == 1 && dIn == 1) {
                    System.arraycopy(src, so, dst, dof, inner);
                } else {
                    for (int j = 0; j < inner; j++) dst[dof + j * dIn] = src[so + j * sIn];
                }
                increment(idx, shape, rank - 1);
            }
        };
        if (accumulate && dstOverlaps) body.run(0, rows);
        else par.forRange(rows, Math.max(1, 16384 / inner), body);
    }

    /** out[i] = op(a[i·as], b[i·bs]) with out contiguous over shape. */
    static void binary(Parallel par, BinaryOp op, float[] a, int aOff, int[] as, float[] b, int bOff, int[] bs,
                       float[] out, int outOff, int[] shape) {
        int rank = shape.length;
        long total = 1;
        for (int d : shape) total *= d;
        if (total == 0) return;
        if (rank == 0) {
            out[outOff] = op.apply(a[aOff], b[bOff]);
            return;
        }
        int inner = shape[rank - 1], aIn = as[rank - 1], bIn = bs[rank - 1];
        int rows = (int) (total / inner);
        par.forRange(rows, Math.max(1, 16384 / inner), (from, to) -> {
            int[] idx = new int[rank];
            unflatten(from, shape, rank - 1, idx);
            for (int r = from; r < to; r++) {
                int ao = aOff, bo = bOff, oo = outOff + r * inner;
                for (int d = 0; d < rank - 1; d++) {
                    ao += idx[d] * as[d];
                    bo += idx[d] * bs[d];
                }
                innerLoop(op, a, ao, aIn, b, bo, bIn, out, oo, inner);
                increment(idx, shape, rank - 1);
            }
        });
    }

    /** The hot loop; common ops are spelled out so the JIT can vectorise the unit-stride case. */
    private static void innerLoop(BinaryOp op, float[] a, int ao, int aIn, float[] b, int bo, int bIn,
                                  float[] out, int oo, int n) {
        if (aIn == 1 && bIn == 1) {
            switch (op) {
                case ADD -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j] + b[bo + j]; }
                case SUB -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j] - b[bo + j]; }
                case MUL -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j] * b[bo + j]; }
                default -> { for (int j = 0; j < n; j++) out[oo + j] = op.apply(a[ao + j], b[bo + j]); }
            }
        } else if (aIn == 1 && bIn == 0) {
            float bv = b[bo];
            switch (op) {
                case ADD -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j] + bv; }
                case MUL -> { for (int j = 0; j < n; j++) out[oo + j] = a[ao + j] * bv; }
                default -> { for (int j = 0; j < n; j++) out[oo + j] = op.apply(a[ao + j], bv); }
            }
        } else {
            for (int j = 0; j < n; j++) out[oo + j] = op.apply(a[ao + j * aIn], b[bo + j * bIn]);
        }
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
