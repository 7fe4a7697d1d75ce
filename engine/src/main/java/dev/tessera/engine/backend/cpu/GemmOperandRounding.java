package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.Precision;

/**
 * The rounding step in front of the CPU GEMM under {@link Precision#TF32} or {@link Precision#BF16}: the stored A
 * and B of a {@code Backend.matmul} call are copied, rounded, into scratch arrays, and the unchanged fp32 SGEMM
 * runs on the copies. That is what the tensor-core GEMM computes (gemm_mma.cu converts each element as it stages
 * it, then multiplies exactly and sums in fp32), so the CPU and a GPU in the same precision agree to fp32
 * summation order. The scratch arrays grow to the largest operand seen and are reused; one call at a time.
 */
final class GemmOperandRounding {
    /** Elements per parallel chunk of the rounding copy. */
    private static final int CHUNK = 1 << 15;

    private final Precision precision;
    private float[] a = new float[0], b = new float[0];

    GemmOperandRounding(Precision precision) {
        if (!precision.roundsMatmul()) throw new IllegalArgumentException("no rounding in " + precision.label());
        this.precision = precision;
    }

    /** {@link Sgemm#gemm} on A and B rounded to this precision; same arguments. */
    synchronized void gemm(Parallel par, boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                           float[] av, int ao, int aBatchStride, float[] bv, int bo, int bBatchStride,
                           float beta, float[] c, int co) {
        int na = extent(batch, aBatchStride, m, k, av.length - ao), nb = extent(batch, bBatchStride, k, n, bv.length - bo);
        if (a.length < na) a = new float[na];
        if (b.length < nb) b = new float[nb];
        round(par, av, ao, a, na);
        round(par, bv, bo, b, nb);
        Sgemm.gemm(par, transA, transB, batch, m, n, k, alpha, a, 0, aBatchStride, b, 0, bBatchStride, beta, c, co);
    }

    /** Elements a batched operand spans from its offset: (batch − 1)·stride + rows·cols, at most what the array holds. */
    static int extent(int batch, int batchStride, int rows, int cols, int available) {
        if (batch == 0) return 0;
        long e = (long) (batch - 1) * batchStride + (long) rows * cols;
        return (int) Math.min(e, available);
    }

    private void round(Parallel par, float[] src, int off, float[] dst, int n) {
        par.forRange((n + CHUNK - 1) / CHUNK, 1, (from, to) -> {
            int lo = from * CHUNK, hi = Math.min(n, to * CHUNK);
            precision.round(src, off + lo, dst, lo, hi - lo);
        });
    }
}
