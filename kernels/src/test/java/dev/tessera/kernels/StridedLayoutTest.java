package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Axis merging for the strided kernels (no GPU needed). */
class StridedLayoutTest {

    @Test
    void contiguousBecomesRankOne() {
        StridedLayout l = StridedLayout.coalesce(new int[] {2, 3, 4}, new int[] {12, 4, 1}, new int[] {12, 4, 1});
        assertArrayEquals(new int[] {24}, l.shape());
        assertArrayEquals(new int[] {1}, l.strides()[0]);
        assertEquals(24, l.size());
    }

    @Test
    void transposeOfLastTwoAxesKeepsThemApart() {
        // src [B=2, L=5, D=3] read as [B, D, L]: shape [2, 3, 5], src strides [15, 1, 3], dst contiguous
        StridedLayout l = StridedLayout.coalesce(new int[] {2, 3, 5}, new int[] {15, 1, 3}, new int[] {15, 5, 1});
        assertArrayEquals(new int[] {2, 3, 5}, l.shape());
        assertArrayEquals(new int[] {15, 1, 3}, l.strides()[0]);
    }

    @Test
    void sizeOneAxesAndScalarsAreDropped() {
        StridedLayout l = StridedLayout.coalesce(new int[] {1, 4, 1, 5}, new int[] {99, 5, 77, 1}, new int[] {0, 5, 0, 1});
        assertArrayEquals(new int[] {20}, l.shape());
        StridedLayout s = StridedLayout.coalesce(new int[] {}, new int[] {}, new int[] {});
        assertArrayEquals(new int[] {1}, s.shape());
        assertArrayEquals(new int[] {0}, s.strides()[1]);
    }

    @Test
    void broadcastIsDetectedAfterMerging() {
        // bias gradient: dst [D] accumulates src [N, D]: shape [N, D], dst strides [0, 1]
        StridedLayout l = StridedLayout.coalesce(new int[] {7, 3}, new int[] {3, 1}, new int[] {0, 1});
        assertTrue(l.hasBroadcast(1));
        assertFalse(l.hasBroadcast(0));
    }

    @Test
    void nineAxesThatMergeAreFineButNineThatCannotAreRefused() {
        int[] shape = {2, 1, 2, 2, 2, 2, 2, 2, 3};
        int[] st = StridedCuda.contiguousStrides(shape);
        assertEquals(1, StridedLayout.coalesce(shape, st, st).rank());
        int[] shape9 = {2, 2, 2, 2, 2, 2, 2, 2, 2};
        int[] c = StridedCuda.contiguousStrides(shape9);
        StridedLayout bad = StridedLayout.coalesce(shape9, c, reversed(c));  // a full reversal cannot merge
        assertEquals(9, bad.rank());
        var e = assertThrows(IllegalArgumentException.class, () -> bad.dims8(bad.shape()));
        assertTrue(e.getMessage().contains("up to 8"), e.getMessage());
    }

    @Test
    void offsetRangeCoversEveryIndex() {
        StridedLayout l = StridedLayout.coalesce(new int[] {3, 4}, new int[] {1, 3}, new int[] {-4, 1});
        assertArrayEquals(new long[] {0, 11}, l.offsetRange(0));
        assertArrayEquals(new long[] {-8, 3}, l.offsetRange(1));
    }

    /** Merging never changes which offsets each flat index maps to. */
    @Test
    void mergingPreservesEveryOffset() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 500; trial++) {
            int rank = 1 + rnd.nextInt(6);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) shape[d] = 1 + rnd.nextInt(4);
            int[] a = StridedCuda.contiguousStrides(shape), b = new int[rank];
            int[] perm = randomPermutation(rnd, rank);
            int[] pa = StridedCuda.contiguousStrides(permute(shape, perm));
            for (int d = 0; d < rank; d++) b[perm[d]] = rnd.nextInt(5) == 0 ? 0 : pa[d];
            StridedLayout l = StridedLayout.coalesce(shape, a, b);
            int n = l.size();
            for (int i = 0; i < n; i++) {
                assertEquals(offset(i, shape, a), offset(i, l.shape(), l.strides()[0]));
                assertEquals(offset(i, shape, b), offset(i, l.shape(), l.strides()[1]));
            }
        }
    }

    private static long offset(int flat, int[] shape, int[] strides) {
        long o = 0;
        for (int d = shape.length - 1; d >= 0; d--) {
            o += (long) (flat % shape[d]) * strides[d];
            flat /= shape[d];
        }
        return o;
    }

    private static int[] randomPermutation(Random rnd, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static int[] permute(int[] a, int[] p) {
        int[] r = new int[a.length];
        for (int d = 0; d < a.length; d++) r[d] = a[p[d]];
        return r;
    }

    private static int[] reversed(int[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[a.length - 1 - i];
        return r;
    }
}
