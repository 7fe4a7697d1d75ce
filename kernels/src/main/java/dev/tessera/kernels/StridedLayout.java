package dev.tessera.kernels;

import java.util.Arrays;

/**
 * A shape with one or more stride sets over it, simplified for the strided kernels: axes of size 1 are
 * dropped and neighbouring axes are merged whenever every stride set chains across them
 * ({@code stride[d] == stride[d+1]·shape[d+1]}). A contiguous copy of any rank becomes rank 1, a transpose of
 * the last two axes of a [B, H, L, D] tensor becomes rank 3, and so on. Fewer axes means fewer div/mod per
 * element in the kernel and lets any rank whose simplified form has at most {@value #MAX_RANK} axes run.
 * The iteration order (row-major over the original shape) is unchanged, which matters for nothing but is
 * reassuring: every element maps to the same source and destination offsets as before.
 *
 * @param shape   simplified shape (rank ≥ 1; an all-ones or rank-0 shape becomes [1])
 * @param strides one simplified stride array per input stride set, in the same order
 */
record StridedLayout(int[] shape, int[][] strides) {

    /** The kernels' Dims8 holds 8 axes. */
    static final int MAX_RANK = 8;

    static StridedLayout coalesce(int[] shape, int[]... strides) {
        for (int[] s : strides) {
            if (s.length != shape.length) {
                throw new IllegalArgumentException("stride rank " + s.length + " does not match shape rank " + shape.length
                        + " (shape " + Arrays.toString(shape) + ")");
            }
        }
        int rank = shape.length, k = strides.length;
        int[] outShape = new int[Math.max(1, rank)];
        int[][] outStrides = new int[k][Math.max(1, rank)];
        int r = 0;
        for (int d = 0; d < rank; d++) {
            if (shape[d] < 0) throw new IllegalArgumentException("negative extent in shape " + Arrays.toString(shape));
            if (shape[d] == 1) continue;
            if (r > 0 && chains(outStrides, r - 1, strides, d, shape[d])) {
                outShape[r - 1] = Math.multiplyExact(outShape[r - 1], shape[d]);
                for (int s = 0; s < k; s++) outStrides[s][r - 1] = strides[s][d];
            } else {
                outShape[r] = shape[d];
                for (int s = 0; s < k; s++) outStrides[s][r] = strides[s][d];
                r++;
            }
        }
        if (r == 0) {  // a scalar or an all-ones shape: one element at offset 0
            return new StridedLayout(new int[] {1}, new int[k][1]);
        }
        int[][] st = new int[k][];
        for (int s = 0; s < k; s++) st[s] = Arrays.copyOf(outStrides[s], r);
        return new StridedLayout(Arrays.copyOf(outShape, r), st);
    }

    /** Can axis d (extent n) be folded into the previous kept axis p for every stride set? */
    private static boolean chains(int[][] out, int p, int[][] in, int d, int n) {
        for (int s = 0; s < in.length; s++) {
            if ((long) out[s][p] != (long) in[s][d] * n) return false;
        }
        return true;
    }

    int rank() {
        return shape.length;
    }

    /** Number of elements iterated, checked to fit the kernels' int indexing. */
    int size() {
        long n = 1;
        for (int e : shape) n *= e;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n + " elements > 2^31-1");
        }
        return (int) n;
    }

    /** The smallest and largest element offsets reached under stride set {@code s} ({0, 0} when empty). */
    long[] offsetRange(int s) {
        long lo = 0, hi = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) return new long[] {0, 0};
            long span = (long) (shape[d] - 1) * strides[s][d];
            if (span < 0) lo += span;
            else hi += span;
        }
        return new long[] {lo, hi};
    }

    /** True when stride set {@code s} maps two different multi-indices to one offset via a 0 stride. */
    boolean hasBroadcast(int s) {
        for (int d = 0; d < shape.length; d++) if (strides[s][d] == 0 && shape[d] > 1) return true;
        return false;
    }

    /** Pads {@code a} with zeros to the kernels' fixed Dims8 size; throws when the rank is too high. */
    int[] dims8(int[] a) {
        if (a.length > MAX_RANK) {
            throw new IllegalArgumentException("strided op of rank " + a.length + " after merging axes (shape "
                    + Arrays.toString(shape) + "); the CUDA kernels support up to " + MAX_RANK);
        }
        return Arrays.copyOf(a, MAX_RANK);
    }
}
