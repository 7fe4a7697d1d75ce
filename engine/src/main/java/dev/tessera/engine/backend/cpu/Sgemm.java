package dev.tessera.engine.backend.cpu;

/**
 * The CPU backend's SGEMM entry point: batched, multi-threaded, and the one place that chooses between the
 * packed Vector API kernel ({@link SgemmVector}) and the scalar oracle ({@link SgemmScalar}).
 *
 * <p>Choice of path (it depends on the shape only, never on the thread count):
 * <ul>
 *   <li>{@code -Dtessera.cpu.scalar=true} forces the scalar oracle everywhere (debugging, teaching, and the
 *       "vector vs scalar" benchmark). Other CPU kernels follow the same switch through
 *       {@link #vectorEnabled()}.</li>
 *   <li>Tiny products (m·n·k below {@link #VECTOR_MIN_MNK}) and k = 0 take the scalar path: packing both
 *       operands costs more than it saves when there is almost nothing to multiply.</li>
 *   <li>Everything else takes the vector path.</li>
 * </ul>
 *
 * <p>Threading: many independent GEMMs (attention heads: batch = images × heads) are split over the batch,
 * one whole GEMM per task, so each thread packs its own operands and no thread waits for another. Few large
 * GEMMs (linear layers) are split inside: C is cut into a grid of rectangles, one per thread, along
 * whichever dimension keeps the rectangles square-ish, because a task packs its own A rows and B columns and
 * the packing cost per flop is ∝ 1/rows + 1/cols. A grid of one strip per thread (always, with two threads)
 * sizes the strips by the threads' measured speeds ({@link Parallel#forWeighted}): finer, dynamically claimed
 * blocks would balance too, but each block repacks its share of A, and on this machine that cost 3–15% per
 * GEMM (blocks of ¼ to ⅛ of the columns, measured) where the learned split costs nothing. Either way every
 * element is computed by the same arithmetic in the same order, so results are bit-identical for any thread
 * count and any split.
 */
public final class Sgemm {
    private Sgemm() {}

    /** Name of the system property that forces the scalar path: {@code -Dtessera.cpu.scalar=true}. */
    public static final String SCALAR_PROPERTY = "tessera.cpu.scalar";

    private static final boolean SCALAR_ONLY = Boolean.getBoolean(SCALAR_PROPERTY);

    /** The Vector API is an incubator module: present only when the JVM was started with --add-modules. */
    private static final boolean VECTOR_MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /**
     * Below this m·n·k (8³) the scalar loop wins: there is too little work to amortise packing. Measured on
     * one core (Zen 5, AVX-512): the vector path is already 2× faster at 8×8×8 and 5× at 16³; only at 4³
     * with transposed B is the scalar loop ahead.
     */
    static final long VECTOR_MIN_MNK = 8 * 8 * 8;

    /** Don't split one GEMM across threads below this m·n·k: a fork/join costs microseconds. */
    private static final long PARALLEL_MIN_MNK = 1L << 18;

    /**
     * True when the Vector API kernels are in use: always, unless {@code -Dtessera.cpu.scalar=true}. Without
     * the incubator module (and without that property) it throws instead of quietly falling back, because a
     * silent 60–100× slowdown is worse than an error that names the missing flag.
     */
    public static boolean vectorEnabled() {
        if (SCALAR_ONLY) return false;
        if (!VECTOR_MODULE) {
            throw new IllegalStateException("the CPU kernels need the Vector API: start the JVM with "
                    + "--add-modules=jdk.incubator.vector (the flags in cli/target/jvm.flags), or pass -D"
                    + SCALAR_PROPERTY + "=true to use the scalar kernels");
        }
        return true;
    }

    /** A short description for logs and benchmark reports, e.g. {@code vector 6x32 (512-bit)}. */
    public static String describe() {
        if (!SCALAR_ONLY && !VECTOR_MODULE) return "unavailable (jdk.incubator.vector module missing)";
        return SCALAR_ONLY ? "scalar (" + SCALAR_PROPERTY + "=true)"
                : "vector " + SgemmVector.MR + "x" + SgemmVector.NR + " (" + SgemmVector.SPECIES.vectorBitSize()
                        + "-bit), scalar below m*n*k=" + VECTOR_MIN_MNK;
    }

    /** See {@link dev.tessera.engine.backend.Backend#matmul}; C batches are contiguous [m, n]. */
    public static void gemm(Parallel par, boolean transA, boolean transB, int batch, int m, int n, int k,
                            float alpha, float[] a, int ao, int aBatchStride, float[] b, int bo, int bBatchStride,
                            float beta, float[] c, int co) {
        if (batch <= 0 || m <= 0 || n <= 0) return;
        if (!vectorEnabled() || k == 0 || (long) m * n * k < VECTOR_MIN_MNK) {
            scalar(par, transA, transB, batch, m, n, k, alpha, a, ao, aBatchStride, b, bo, bBatchStride, beta, c, co);
        } else {
            vector(par, transA, transB, batch, m, n, k, alpha, a, ao, aBatchStride, b, bo, bBatchStride, beta, c, co);
        }
    }

    /** The scalar oracle, split over (batch, 64-row block) pairs. */
    static void scalar(Parallel par, boolean transA, boolean transB, int batch, int m, int n, int k,
                       float alpha, float[] a, int ao, int aBatchStride, float[] b, int bo, int bBatchStride,
                       float beta, float[] c, int co) {
        int lda = transA ? m : k, ldb = transB ? k : n;
        int rowBlock = Math.max(1, Math.min(m, 64));
        int blocksPerBatch = (m + rowBlock - 1) / rowBlock;
        par.forRange(batch * blocksPerBatch, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int bi = t / blocksPerBatch, r0 = (t % blocksPerBatch) * rowBlock, rows = Math.min(rowBlock, m - r0);
                int aOff = ao + bi * aBatchStride + (transA ? r0 : r0 * lda);
                SgemmScalar.gemm(transA, transB, rows, n, k, alpha, a, aOff, lda,
                        b, bo + bi * bBatchStride, ldb, beta, c, co + bi * m * n + r0 * n, n);
            }
        });
    }

    /** The packed vector kernel; k ≥ 1. */
    static void vector(Parallel par, boolean transA, boolean transB, int batch, int m, int n, int k,
                       float alpha, float[] a, int ao, int aBatchStride, float[] b, int bo, int bBatchStride,
                       float beta, float[] c, int co) {
        int lda = transA ? m : k, ldb = transB ? k : n, threads = par.threads();
        if (batch > 1 && (batch % threads == 0 || batch >= 4 * threads)) {
            // Over the batch: contiguous runs of whole GEMMs per thread (balanced up to one GEMM).
            par.forRange(batch, 1, (from, to) -> {
                for (int bi = from; bi < to; bi++) {
                    SgemmVector.gemm(transA, transB, k, alpha, a, ao + bi * aBatchStride, lda,
                            b, bo + bi * bBatchStride, ldb, beta, c, co + bi * m * n, n, 0, m, 0, n);
                }
            });
            return;
        }
        for (int bi = 0; bi < batch; bi++) {
            int cB = co + bi * m * n;
            split(par, transA, transB, m, n, k, alpha, a, ao + bi * aBatchStride, lda, b, bo + bi * bBatchStride, ldb,
                    beta, c, cB, c, cB, n);
        }
    }

    /**
     * C [m, n] = A [m, k]·Bᵀ + bias (B stored [n, k], bias [n] added to every row): the Linear forward with its
     * bias added in the GEMM's first store. The composed form ({@code Backend.matmulEpilogue}'s default) first
     * broadcasts the bias into C with a strided copy, then runs the GEMM with β = 1; both compute 1·bias + acc
     * from the first k-slab's sums, so the bits are the same, and C is written once instead of twice.
     */
    static void linearBias(Parallel par, int m, int n, int k, float[] a, int ao, float[] b, int bo,
                                  float[] bias, int biasOff, float[] c, int co) {
        if (m <= 0 || n <= 0) return;
        if (!vectorEnabled() || k == 0 || (long) m * n * k < VECTOR_MIN_MNK) {
            for (int i = 0; i < m; i++) System.arraycopy(bias, biasOff, c, co + i * n, n);
            scalar(par, false, true, 1, m, n, k, 1f, a, ao, 0, b, bo, 0, 1f, c, co);
            return;
        }
        split(par, false, true, m, n, k, 1f, a, ao, k, b, bo, k, 1f, c, co, bias, biasOff, 0);
    }

    /**
     * One GEMM cut into a grid of C rectangles over the threads; the first k-slab's β term reads
     * {@code init[io + i·ldi + j]} (C itself, or a bias row with ldi = 0). When the grid is one strip per
     * thread (always with two threads), the strips' widths follow the threads' measured speeds.
     */
    private static void split(Parallel par, boolean transA, boolean transB, int m, int n, int k, float alpha,
                              float[] a, int ao, int lda, float[] b, int bo, int ldb, float beta, float[] c, int co,
                              float[] init, int io, int ldi) {
        long mnk = (long) m * n * k;
        int tasks = (int) Math.max(1, Math.min(par.threads(), mnk / PARALLEL_MIN_MNK));
        int[] grid = grid(tasks, m, n);
        int rowSplits = grid[0], colSplits = grid[1];
        int slivers = (m + SgemmVector.MR - 1) / SgemmVector.MR, panels = (n + SgemmVector.NR - 1) / SgemmVector.NR;
        if (rowSplits * colSplits == par.threads() && (rowSplits == 1 || colSplits == 1)) {
            // One strip per thread, sized by the threads' measured speeds (Parallel.forWeighted): cut at tile
            // boundaries, any widths give the same bits.
            boolean byColumns = rowSplits == 1;
            par.forWeighted(byColumns ? panels : slivers, (from, to) -> {
                int r0 = byColumns ? 0 : from * SgemmVector.MR, r1 = byColumns ? m : Math.min(m, to * SgemmVector.MR);
                int c0 = byColumns ? from * SgemmVector.NR : 0, c1 = byColumns ? Math.min(n, to * SgemmVector.NR) : n;
                SgemmVector.gemm(transA, transB, k, alpha, a, ao, lda, b, bo, ldb, beta, c, co, n, init, io, ldi,
                        r0, r1, c0, c1);
            });
            return;
        }
        par.forRange(rowSplits * colSplits, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int rs = t / colSplits, cs = t % colSplits;
                // Cut at tile boundaries so only the true matrix edge produces partial tiles.
                int r0 = Math.min(m, slivers * rs / rowSplits * SgemmVector.MR);
                int r1 = Math.min(m, slivers * (rs + 1) / rowSplits * SgemmVector.MR);
                int c0 = Math.min(n, panels * cs / colSplits * SgemmVector.NR);
                int c1 = Math.min(n, panels * (cs + 1) / colSplits * SgemmVector.NR);
                if (r0 < r1 && c0 < c1) {
                    SgemmVector.gemm(transA, transB, k, alpha, a, ao, lda, b, bo, ldb, beta, c, co, n, init, io, ldi,
                            r0, r1, c0, c1);
                }
            }
        });
    }

    /**
     * {rowSplits, colSplits} with rowSplits·colSplits = tasks (or fewer when the matrix has fewer tiles),
     * minimising the packing cost per task, rowSplits/m + colSplits/n.
     */
    static int[] grid(int tasks, int m, int n) {
        int slivers = (m + SgemmVector.MR - 1) / SgemmVector.MR, panels = (n + SgemmVector.NR - 1) / SgemmVector.NR;
        int bestR = 1, bestC = 1;
        double bestCost = Double.MAX_VALUE;
        for (int t = tasks; t >= 1 && bestCost == Double.MAX_VALUE; t--) {
            for (int cs = 1; cs <= t; cs++) {
                if (t % cs != 0) continue;
                int rs = t / cs;
                if (rs > slivers || cs > panels) continue;
                double cost = (double) rs / m + (double) cs / n;
                if (cost < bestCost) {
                    bestCost = cost;
                    bestR = rs;
                    bestC = cs;
                }
            }
        }
        return new int[] {bestR, bestC};
    }
}
