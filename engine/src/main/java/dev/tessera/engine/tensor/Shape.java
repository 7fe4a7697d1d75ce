package dev.tessera.engine.tensor;

import java.util.Arrays;

/** Static helpers for shapes (int[]) and row-major strides. */
public final class Shape {
    private Shape() {}

    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + str(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + str(shape) + " has " + n + " elements; one tensor holds at most 2^31-1");
        }
        return (int) n;
    }

    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    /** NumPy broadcasting of two shapes; the error names the op and both shapes. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new ShapeException(op + ": shapes " + str(a) + " and " + str(b) + " do not broadcast (dim "
                        + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Strides that read {@code t} as if it had {@code target} shape (0 where it is broadcast). */
    public static int[] broadcastStrides(int[] shape, int[] strides, int[] target) {
        int[] s = new int[target.length];
        int lead = target.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            if (i < lead) s[i] = 0;
            else s[i] = shape[i - lead] == 1 && target[i] != 1 ? 0 : strides[i - lead];
        }
        return s;
    }

    /** Resolves one -1 entry of a reshape target against numel. */
    public static int[] inferReshape(int[] from, int[] to) {
        int n = numel(from), known = 1, unknown = -1;
        int[] out = to.clone();
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1) {
                if (unknown >= 0) throw new ShapeException("reshape " + str(from) + " -> " + str(to) + ": more than one -1");
                unknown = i;
            } else {
                known *= out[i];
            }
        }
        if (unknown >= 0) {
            if (known == 0 || n % known != 0) {
                throw new ShapeException("reshape " + str(from) + " -> " + str(to) + ": " + n + " elements do not divide");
            }
            out[unknown] = n / known;
        }
        if (numel(out) != n) {
            throw new ShapeException("reshape " + str(from) + " -> " + str(to) + ": " + n + " elements vs " + numel(out));
        }
        return out;
    }

    /** Normalises a possibly negative axis against a rank. */
    public static int axis(String op, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new ShapeException(op + ": axis " + axis + " is out of range for rank " + rank);
        return a;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
