package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.engine.backend.BinaryOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The strided copy and broadcasting binary primitives against multi-index loops. */
class StridedCpuTest {
    static final Parallel PAR = new Parallel(2);

    @AfterAll
    static void close() {
        PAR.close();
    }

    static float[] iota(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    @Test
    void copyWithPermutedSourceStrides() {
        // src [2, 3, 4] row-major; read it as its permutation (2, 0, 1) → shape [4, 2, 3].
        float[] src = iota(24), dst = new float[24];
        StridedCpu.copy(PAR, src, 0, new int[] {1, 12, 4}, dst, 0, new int[] {6, 3, 1}, new int[] {4, 2, 3}, false);
        float[] e = new float[24];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++) e[(k * 2 + i) * 3 + j] = src[(i * 3 + j) * 4 + k];
        assertClose("permute copy", e, dst, 0, 0);
        // Permuted destination strides with offsets: write the transpose of a [3, 5] block.
        float[] big = iota(40), out = new float[17];
        StridedCpu.copy(PAR, big, 5, new int[] {5, 1}, out, 2, new int[] {1, 3}, new int[] {3, 5}, false);
        float[] et = new float[17];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) et[2 + j * 3 + i] = big[5 + i * 5 + j];
        assertClose("transposed destination", et, out, 0, 0);
    }

    @Test
    void broadcastSourceAndAccumulate() {
        // A bias [4] broadcast over 1,000 rows (stride 0 on the row axis), enough rows to split over threads.
        int rows = 1000;
        float[] bias = {1, 2, 3, 4}, dst = new float[rows * 4];
        java.util.Arrays.fill(dst, 0.5f);
        StridedCpu.copy(PAR, bias, 0, new int[] {0, 1}, dst, 0, new int[] {4, 1}, new int[] {rows, 4}, true);
        float[] e = new float[rows * 4];
        for (int r = 0; r < rows; r++) for (int c = 0; c < 4; c++) e[r * 4 + c] = 0.5f + bias[c];
        assertClose("broadcast accumulate", e, dst, 0, 0);
        // Accumulating into a stride-0 destination sums (the backward of a broadcast); it must not race.
        float[] col = new float[4];
        StridedCpu.copy(PAR, dst, 0, new int[] {4, 1}, col, 0, new int[] {0, 1}, new int[] {rows, 4}, true);
        float[] sums = new float[4];
        for (int c = 0; c < 4; c++) sums[c] = rows * (0.5f + bias[c]);
        assertClose("sum into stride 0", sums, col, 0, 0);
        // Rank 0 and empty shapes.
        float[] one = {3f}, to = {2f};
        StridedCpu.copy(PAR, one, 0, new int[0], to, 0, new int[0], new int[0], true);
        assertClose("rank 0", new float[] {5f}, to, 0, 0);
        StridedCpu.copy(PAR, one, 0, new int[] {1, 1}, to, 0, new int[] {1, 1}, new int[] {0, 3}, false);
        assertClose("empty", new float[] {5f}, to, 0, 0);
    }

    @Test
    void binaryBroadcastsBothOperands() {
        // a [3, 1] + b [1, 4] → [3, 4]; and a − b with b read transposed.
        float[] a = {1, 2, 3}, b = {10, 20, 30, 40}, out = new float[12];
        StridedCpu.binary(PAR, BinaryOp.ADD, a, 0, new int[] {1, 0}, b, 0, new int[] {0, 1}, out, 0, new int[] {3, 4});
        float[] e = new float[12];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) e[i * 4 + j] = a[i] + b[j];
        assertClose("outer sum", e, out, 0, 0);
        float[] m = iota(6), t = iota(6), d = new float[6];
        StridedCpu.binary(PAR, BinaryOp.MUL, m, 0, new int[] {3, 1}, t, 0, new int[] {1, 2}, d, 0, new int[] {2, 3});
        float[] ed = new float[6];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) ed[i * 3 + j] = m[i * 3 + j] * t[j * 2 + i];
        assertClose("mul with transposed operand", ed, d, 0, 0);
    }

    /** Multi-index reference of binary: out[i] = op(a[i·as], b[i·bs]) over shape, row-major out. */
    static float[] binaryByIndex(BinaryOp op, float[] a, int ao, int[] as, float[] b, int bo, int[] bs, int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] out = new float[n];
        int[] idx = new int[shape.length];
        for (int i = 0; i < n; i++) {
            int pa = ao, pb = bo;
            for (int d = 0; d < shape.length; d++) {
                pa += idx[d] * as[d];
                pb += idx[d] * bs[d];
            }
            out[i] = op.apply(a[pa], b[pb]);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    @Test
    void everyStridePatternAndOpAgreesWithTheDefinition() {
        // Shapes whose axes coalesce (contiguous), partly coalesce (broadcast rows / columns, size-1 axes), or
        // not at all (transposed operand); large enough to be split over threads, with operand offsets.
        int[] shape = {6, 1, 40, 97};
        int n = 6 * 40 * 97;
        float[] a = LayerNormCpuTest.random(1, n + 7, -3, 3), b = LayerNormCpuTest.random(2, n + 9, 0.5, 2);
        int[] contiguous = {3880, 3880, 97, 1};
        int[][] patterns = {
                contiguous,
                {0, 0, 97, 1},          // broadcast over the leading axis
                {40, 0, 1, 0},          // one value per (row, column of 40): stride 0 innermost
                {0, 0, 0, 1},           // a bias row
                {1, 0, 6, 240},         // transposed read
                {0, 0, 0, 0}};          // a scalar
        for (BinaryOp op : BinaryOp.values()) {
            for (int[] as : patterns) {
                for (int[] bs : patterns) {
                    float[] e = binaryByIndex(op, a, 7, as, b, 9, bs, shape);
                    float[] out = new float[n + 3];
                    StridedCpu.binary(PAR, op, a, 7, as, b, 9, bs, out, 3, shape);
                    float[] got = java.util.Arrays.copyOfRange(out, 3, n + 3);
                    String what = op + " a" + java.util.Arrays.toString(as) + " b" + java.util.Arrays.toString(bs);
                    if (op == BinaryOp.GELU_GRAD) assertClose(what, e, got, 6e-7, 1e-6);    // float erf (GeluCpu)
                    else assertClose(what, e, got, 0, 0);                                      // same arithmetic
                    float[] ref = new float[n + 3];
                    StridedCpu.binary(PAR, op, a, 7, as, b, 9, bs, ref, 3, shape, false);
                    assertClose(what + " (reference path)", e, java.util.Arrays.copyOfRange(ref, 3, n + 3), 0, 0);
                }
            }
        }
    }

    /**
     * A flat run (the fused Linear+GELU backward's GELU_GRAD over [rows·out]) gives the same bits for 1, 2 and 3
     * threads: threads are cut in whole blocks, so the scalar tail, which may round differently from the vector
     * lanes, only ever takes the run's last elements. Cut at any element, mae-tiny's gradients differed between
     * 1 and 3 threads.
     */
    @Test
    void aFlatRunHasTheSameBitsForEveryThreadCount() {
        int n = 139_269;
        float[] pre = LayerNormCpuTest.random(11, n, -6, 6), g = LayerNormCpuTest.random(12, n, -1, 1);
        int[] flat = {n}, unit = {1};
        for (BinaryOp op : new BinaryOp[] {BinaryOp.GELU_GRAD, BinaryOp.MUL}) {
            float[] one = new float[n];
            try (Parallel par = new Parallel(1)) {
                StridedCpu.binary(par, op, pre, 0, unit, g, 0, unit, one, 0, flat);
            }
            for (int threads = 2; threads <= 3; threads++) {
                float[] got = new float[n];
                try (Parallel par = new Parallel(threads)) {
                    StridedCpu.binary(par, op, pre, 0, unit, g, 0, unit, got, 0, flat);
                }
                for (int i = 0; i < n; i++) {
                    if (Float.floatToRawIntBits(one[i]) != Float.floatToRawIntBits(got[i])) {
                        throw new AssertionError(op + ", " + threads + " threads: element " + i + " is " + got[i]
                                + ", one thread gives " + one[i]);
                    }
                }
            }
        }
    }

    @Test
    void inPlaceAccumulationAliasesTheOutput() {
        // grad += g, the way the tape adds a gradient into an existing one (out == a).
        int n = 70_001;
        float[] acc = LayerNormCpuTest.random(3, n, -1, 1), g = LayerNormCpuTest.random(4, n, -1, 1);
        float[] e = new float[n];
        for (int i = 0; i < n; i++) e[i] = acc[i] + g[i];
        StridedCpu.binary(PAR, BinaryOp.ADD, acc, 0, new int[] {1}, g, 0, new int[] {1}, acc, 0, new int[] {n});
        assertClose("in place", e, acc, 0, 0);
    }

    /** An output that is an operand's array one element further on: a running sum, element by element. */
    @Test
    void anOutputOverlappingAnOperandKeepsTheElementLoopsOrder() {
        int n = 100;
        float[] arr = LayerNormCpuTest.random(7, n + 1, -1, 1), b = LayerNormCpuTest.random(8, n, -1, 1);
        float[] e = arr.clone();
        for (int j = 0; j < n; j++) e[1 + j] = e[j] + b[j];
        StridedCpu.binary(PAR, BinaryOp.ADD, arr, 0, new int[] {1}, b, 0, new int[] {1}, arr, 1, new int[] {n});
        assertClose("out = a shifted by one", e, arr, 0, 0);
    }

    @Test
    void copiesCoalesceAndAccumulateLikeTheIndexLoop() {
        int[] shape = {3, 5, 1, 8, 64};
        int n = 3 * 5 * 8 * 64;
        float[] src = LayerNormCpuTest.random(5, 2 * n, -1, 1);
        int[][] srcPatterns = {{2560, 512, 0, 64, 1}, {64, 192, 0, 960, 1}, {0, 64, 0, 0, 1}, {1, 3, 0, 15, 120}};
        int[] dstStrides = {2560, 512, 512, 64, 1};
        for (int[] ss : srcPatterns) {
            for (boolean accumulate : new boolean[] {false, true}) {
                float[] dst = LayerNormCpuTest.random(6, n + 2, -1, 1), e = dst.clone();
                int[] idx = new int[shape.length];
                for (int i = 0; i < n; i++) {
                    int ps = 1, pd = 2;
                    for (int d = 0; d < shape.length; d++) {
                        ps += idx[d] * ss[d];
                        pd += idx[d] * dstStrides[d];
                    }
                    e[pd] = accumulate ? e[pd] + src[ps] : src[ps];
                    for (int d = shape.length - 1; d >= 0; d--) {
                        if (++idx[d] < shape[d]) break;
                        idx[d] = 0;
                    }
                }
                StridedCpu.copy(PAR, src, 1, ss, dst, 2, dstStrides, shape, accumulate);
                assertClose("copy " + java.util.Arrays.toString(ss) + (accumulate ? " +=" : ""), e, dst, 0, 0);
            }
        }
    }

    @Test
    void coalesceMergesRunsAndDropsUnitAxes() {
        int[][] g = StridedCpu.coalesce(new int[] {4, 1, 3, 5}, new int[] {15, 99, 5, 1}, new int[] {0, 7, 5, 1});
        assertArrayEquals(new int[] {4, 15}, g[0]);
        assertArrayEquals(new int[] {15, 1}, g[1]);
        assertArrayEquals(new int[] {0, 1}, g[2]);
        int[][] none = StridedCpu.coalesce(new int[] {1, 1}, new int[] {3, 1});
        assertArrayEquals(new int[0], none[0]);
    }
}
