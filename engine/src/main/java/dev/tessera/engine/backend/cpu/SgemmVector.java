package dev.tessera.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast single-threaded SGEMM: C = alpha·op(A)·op(B) + beta·C on one rectangle of C, row-major, built the
 * GotoBLAS way (Goto &amp; van de Geijn 2008, "Anatomy of High-Performance Matrix Multiplication"; the loop
 * names jc/pc/ic/jr/ir are BLIS's, Van Zee &amp; van de Geijn 2015):
 * <pre>
 *   for jc in cols step NC                      B~ = op(B)[pc:pc+kc, jc:jc+nc]  packed once, lives in L2/L3
 *     for pc in 0..k step ≈KC                   kc·(MR+NR) floats per micro-kernel call: the k-slab
 *       pack B~ into NR-wide panels [kc][NR]
 *       for ic in rows step MC                  A~ = op(A)[ic:ic+mc, pc:pc+kc]  packed, lives in L2
 *         pack A~ row-major [mc][kc], rows padded to a multiple of MR
 *         for jr over B~ panels                 one panel (kc·NR floats) stays in L1 while …
 *           for ir over A~ slivers              … every sliver of A~ streams past it
 *             micro-kernel: MR×NR tile of C held in registers for the whole kc loop
 * </pre>
 * Packing is what makes the micro-kernel simple: both operands are read with unit stride whatever the
 * transposes are (transA/transB only change the pack loops), and the edges are zero-padded to full MR×NR
 * tiles, so the kernel never branches on shape inside its k loop; only the final store is masked.
 * B~ uses BLIS's panel layout (each k step is NR contiguous floats: two vector loads). A~'s slivers are
 * laid out the way its source is cheapest to read: row-major [MR][kc] from a non-transposed A (interleaving it
 * costs a strided scalar shuffle per element, which measured 5–35% slower overall when N is small: few FLOPs
 * per packed A element, as in the 197×64 attention shapes and N = 384 linears), and BLIS's interleaved
 * [kc][MR] from a transposed A (the weight-gradient GEMM: MR consecutive floats of each source row, where
 * row-major slivers made it a transpose). The kernel takes the sliver's row and k strides, so both layouts run
 * the same code and the same arithmetic. A row-major sliver is then only a copy of MR row pieces, so a
 * non-transposed A's full slivers are not copied at all: the kernel reads them in place with row stride lda
 * (six sequential streams, which the prefetchers follow; with the heap on 2 MiB pages the rows' spacing costs
 * no TLB misses), and only a partial last sliver is packed, zero-padded to MR rows. Against packing every
 * sliver, the forward (NT) and input-gradient (NN) GEMMs of an MAE-B/16 batch-8 step ran 2–3% faster (two
 * threads, the sixteen shapes alternated call by call, two runs, 2026-12-07).
 *
 * <p>The register tile is MR = 6 rows × NR = 2 vectors: 12 accumulators + 2 B vectors + 1 broadcast A = 15
 * vector registers, the classic Haswell 6×16 shape (BLIS {@code bli_sgemm_haswell_asm_6x16}), scaled to the
 * vector width. The accumulators are twelve separate locals on purpose: C2 keeps Vector API values in
 * registers only while they never escape; putting them in an array made an earlier kernel ~20× slower
 * (measured while this kernel was developed).
 *
 * <p>Numerics: each C element is a plain FMA chain over p in increasing order within a k-slab, and slabs are
 * applied in increasing order ({@code C = β·C + α·acc} for the first, {@code C = C + α·acc} after). The slab
 * boundaries depend only on k, so the result of an element depends neither on which tile or thread computed
 * it nor on the thread count.
 */
final class SgemmVector {
    private SgemmVector() {}

    /**
     * The vector shape. {@code SPECIES_PREFERRED} is the widest the CPU supports (512 bits with AVX-512, 256
     * with AVX2, 128 on NEON); {@code -Dtessera.cpu.vectorBits=256} pins a narrower one, which may help on
     * CPUs whose 512-bit FMA is split into two 256-bit halves (e.g. Zen 4). On the Zen 5
     * development machine 512 bits run at ≈ 2× the 256-bit kernel (bench/RESULTS.md).
     */
    static final VectorSpecies<Float> SPECIES = species(Integer.getInteger("tessera.cpu.vectorBits", 0));
    static final int V = SPECIES.length();

    /** Register tile: MR rows of C × NR columns (two vectors). */
    static final int MR = 6;
    static final int NR = 2 * V;

    /**
     * Cache blocking. KC: the k-slab. Every slab after the first reads and writes the C tile again, so fewer
     * slabs mean fewer passes over C; a B panel (KC·NR floats: 64 KiB at NR = 32) then no longer fits Zen 5's
     * 48 KiB L1 and streams from L2, which keeps up (two vector loads per twelve FMAs). Measured against
     * KC = 256 on ViT-B shapes, 2 threads, alternated call by call (2026-12-07): 0–6% faster (K = 768 in two
     * slabs instead of three, K = 3072 in six instead of twelve). MC: rows of A~ (MC·KC floats, 288 KiB)
     * sized to sit in L2 next to the panel being used. NC: columns of B~ packed at once (KC·NC floats, 4 MiB),
     * an L3-sized block.
     */
    static final int KC = 512;
    static final int MC = 144;
    static final int NC = 2048;

    private static VectorSpecies<Float> species(int bits) {
        return switch (bits) {
            case 0 -> FloatVector.SPECIES_PREFERRED;
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("tessera.cpu.vectorBits must be 128, 256 or 512, got " + bits);
        };
    }

    /**
     * Per-thread packing buffers at their largest size from the start (KC·MC and KC·NC floats, 4.3 MiB per thread
     * at 512-bit vectors): grown on demand, a buffer grew whenever a thread's learned share of a GEMM first exceeded
     * its earlier widths, and that rarely taken branch sent the compiled {@link #gemm} back to the interpreter
     * (JFR: an "unstable_if" deoptimization at the size check in the middle of a CAE-B run, 2026-12-07).
     */
    private static final class Scratch {
        final float[] a = new float[KC * MC];
        final float[] b = new float[KC * NC];
        final float[] tile = new float[MR * NR];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Computes rows [r0, r1) × columns [c0, c1) of C = alpha·op(A)·op(B) + beta·C, where op(A) is [m, k]
     * (stored [m, lda] or, when transA, [k, lda]) and op(B) is [k, n] (stored [k, ldb] or [n, ldb]).
     * k must be ≥ 1. With beta == 0, C is not read (NaNs in it are ignored).
     */
    static void gemm(boolean transA, boolean transB, int k, float alpha,
                     float[] a, int ao, int lda, float[] b, int bo, int ldb,
                     float beta, float[] c, int co, int ldc, int r0, int r1, int c0, int c1) {
        gemm(transA, transB, k, alpha, a, ao, lda, b, bo, ldb, beta, c, co, ldc, c, co, ldc, r0, r1, c0, c1);
    }

    /**
     * As above, but the first k-slab's {@code beta·C} term reads element (i, j) from {@code init[io + i·ldi + j]}
     * instead of from C. With {@code ldi = 0} that is one row broadcast down the rows: a bias added in the same
     * store, in the same arithmetic (β·bias + α·acc), as copying the bias into C first and multiplying with β.
     */
    static void gemm(boolean transA, boolean transB, int k, float alpha,
                     float[] a, int ao, int lda, float[] b, int bo, int ldb,
                     float beta, float[] c, int co, int ldc, float[] init, int io, int ldi,
                     int r0, int r1, int c0, int c1) {
        Scratch s = SCRATCH.get();
        int slabs = (k + KC - 1) / KC;                 // each slab has at most KC k-steps, so the scratch fits
        float[] ap = s.a, bp = s.b, tile = s.tile;

        for (int jc = c0; jc < c1; jc += NC) {
            int nc = Math.min(NC, c1 - jc);
            for (int slab = 0; slab < slabs; slab++) {
                // Balanced slabs (k = 768 → 384 + 384, not 512 + 256); boundaries depend on k only.
                int pc = (int) ((long) k * slab / slabs), kc = (int) ((long) k * (slab + 1) / slabs) - pc;
                float slabBeta = slab == 0 ? beta : 1f;
                float[] in = slab == 0 ? init : c;
                int inOff = slab == 0 ? io : co, inLd = slab == 0 ? ldi : ldc;
                if (transB) packBTransposed(b, bo, ldb, pc, kc, jc, nc, bp);
                else packB(b, bo, ldb, pc, kc, jc, nc, bp);
                // A~ sliver layout: row-major [MR][kc] (ars = kc, aps = 1) from A, interleaved [kc][MR]
                // (ars = 1, aps = MR) from Aᵀ; packed sliver ir starts at (ir − full)·kc, full = 0 for Aᵀ.
                int ars = transA ? 1 : kc, aps = transA ? MR : 1;
                for (int ic = r0; ic < r1; ic += MC) {
                    // Rows [0, full) of the block are read in place (non-transposed A only); the rest is packed.
                    int mc = Math.min(MC, r1 - ic), full = transA ? 0 : mc / MR * MR;
                    if (transA) packATransposed(a, ao, lda, pc, kc, ic, mc, ap);
                    else if (full < mc) packA(a, ao, lda, pc, kc, ic + full, mc - full, ap);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int cols = Math.min(NR, nc - jr), bOff = jr * kc;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int rows = Math.min(MR, mc - ir);
                            int cIn = inOff + (ic + ir) * inLd + jc + jr, cOut = co + (ic + ir) * ldc + jc + jr;
                            if (ir < full) {
                                tile(kc, a, ao + (ic + ir) * lda + pc, lda, 1, bp, bOff, in, cIn, inLd,
                                        c, cOut, ldc, rows, cols, alpha, slabBeta, tile);
                            } else {
                                tile(kc, ap, (ir - full) * kc, ars, aps, bp, bOff, in, cIn, inLd,
                                        c, cOut, ldc, rows, cols, alpha, slabBeta, tile);
                            }
                        }
                    }
                }
            }
        }
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    // ---------------------------------------------------------------- packing

    /**
     * B~ from B [k, ldb]: panel q holds columns jc+q·NR … as [kc][NR]; columns past nc are zero. Row by row: each
     * source row's nc floats are read front to back and dealt out to the panels, NR at a time. Panel by panel
     * (kc rows of NR floats, ldb apart) read the source at a stride of a row per 128 bytes, which the hardware
     * prefetchers do not follow across pages: a JFR sample of an MAE-B step put 12% of the whole step in this
     * pack when it went panel by panel (2026-12-07).
     */
    private static void packB(float[] b, int bo, int ldb, int pc, int kc, int jc, int nc, float[] bp) {
        int full = nc / NR * NR;
        for (int p = 0; p < kc; p++) dealRow(b, bo + (pc + p) * ldb + jc, full, bp, p * NR, NR * kc);
        if (full < nc) {
            int w = nc - full;
            for (int p = 0, src = bo + pc * ldb + jc + full, dst = full * kc; p < kc; p++, src += ldb, dst += NR) {
                System.arraycopy(b, src, bp, dst, w);
                java.util.Arrays.fill(bp, dst + w, dst + NR, 0f);
            }
        }
    }

    /** b[src … src + len) (len a multiple of NR) to bp in NR-float pieces at dst, dst + step, dst + 2·step, … */
    private static void dealRow(float[] b, int src, int len, float[] bp, int dst, int step) {
        for (int j = 0; j < len; j += NR, dst += step) {
            FloatVector.fromArray(SPECIES, b, src + j).intoArray(bp, dst);
            FloatVector.fromArray(SPECIES, b, src + j + V).intoArray(bp, dst + V);
        }
    }

    /**
     * B~ from Bᵀ stored [n, ldb]: element (p, j) is b[j·ldb + p]; each source row becomes a panel column. This
     * is the Linear forward's pack (x·Wᵀ), and at M = 400 each packed element feeds only 400 FMAs, so a scalar
     * transpose (one load and one stride-NR store per element) was a visible share of the GEMM. With 16-lane
     * vectors each 16 rows × 16 k-steps block is transposed in registers ({@link #transpose16}); the k tail,
     * the columns of a panel cut by the edge, and other vector widths take the element loop. Packing only moves
     * floats, so the panel is the same bits either way.
     */
    static void packBTransposed(float[] b, int bo, int ldb, int pc, int kc, int jc, int nc, float[] bp) {
        int kv = V == 16 ? kc / V * V : 0;
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int w = Math.min(NR, nc - j0), panel = j0 * kc, src = bo + (jc + j0) * ldb + pc;
            for (int h = 0; h < NR; h += V) {
                int done = h + V <= w ? kv : 0;
                if (done > 0) transpose16(b, src + h * ldb, ldb, done, bp, panel + h);
                for (int j = h; j < h + V; j++) {
                    if (j < w) {
                        for (int p = done; p < kc; p++) bp[panel + p * NR + j] = b[src + j * ldb + p];
                    } else {
                        for (int p = 0; p < kc; p++) bp[panel + p * NR + j] = 0f;
                    }
                }
            }
        }
    }

    /** Index vectors of the two-source zips: lane 2t takes a[t] and lane 2t+1 takes b[t], from the low or high half. */
    private static final float[] ZIP_LO = new float[16], ZIP_HI = new float[16];

    static {
        for (int t = 0; t < 8; t++) {
            ZIP_LO[2 * t] = t;
            ZIP_LO[2 * t + 1] = 16 + t;
            ZIP_HI[2 * t] = 8 + t;
            ZIP_HI[2 * t + 1] = 24 + t;
        }
    }

    /**
     * Rows [0, 16) of b (row i at s0 + i·ldb), k-steps [0, kLen) (kLen a multiple of 16), written transposed:
     * k-step p's 16 values go to bp[d + p·NR …]. Four rounds of "zip row i with row i+8" (one two-source
     * permute each half, vpermt2ps under AVX-512) transpose a 16×16 block: each round rotates the 8-bit
     * (row, lane) index left by one, so four rounds swap row and lane (the perfect-shuffle transpose). Sixteen
     * named vectors, not an array: C2 keeps Vector API values in registers only while they never escape.
     */
    private static void transpose16(float[] b, int s0, int ldb, int kLen, float[] bp, int d0) {
        FloatVector lo = FloatVector.fromArray(SPECIES, ZIP_LO, 0), hi = FloatVector.fromArray(SPECIES, ZIP_HI, 0);
        for (int p = 0; p < kLen; p += 16) {
            int s = s0 + p, d = d0 + p * NR;
            FloatVector r0 = FloatVector.fromArray(SPECIES, b, s);
            FloatVector r1 = FloatVector.fromArray(SPECIES, b, s + 1 * ldb);
            FloatVector r2 = FloatVector.fromArray(SPECIES, b, s + 2 * ldb);
            FloatVector r3 = FloatVector.fromArray(SPECIES, b, s + 3 * ldb);
            FloatVector r4 = FloatVector.fromArray(SPECIES, b, s + 4 * ldb);
            FloatVector r5 = FloatVector.fromArray(SPECIES, b, s + 5 * ldb);
            FloatVector r6 = FloatVector.fromArray(SPECIES, b, s + 6 * ldb);
            FloatVector r7 = FloatVector.fromArray(SPECIES, b, s + 7 * ldb);
            FloatVector r8 = FloatVector.fromArray(SPECIES, b, s + 8 * ldb);
            FloatVector r9 = FloatVector.fromArray(SPECIES, b, s + 9 * ldb);
            FloatVector r10 = FloatVector.fromArray(SPECIES, b, s + 10 * ldb);
            FloatVector r11 = FloatVector.fromArray(SPECIES, b, s + 11 * ldb);
            FloatVector r12 = FloatVector.fromArray(SPECIES, b, s + 12 * ldb);
            FloatVector r13 = FloatVector.fromArray(SPECIES, b, s + 13 * ldb);
            FloatVector r14 = FloatVector.fromArray(SPECIES, b, s + 14 * ldb);
            FloatVector r15 = FloatVector.fromArray(SPECIES, b, s + 15 * ldb);
            FloatVector t0 = lo.selectFrom(r0, r8);
            FloatVector t1 = hi.selectFrom(r0, r8);
            FloatVector t2 = lo.selectFrom(r1, r9);
            FloatVector t3 = hi.selectFrom(r1, r9);
            FloatVector t4 = lo.selectFrom(r2, r10);
            FloatVector t5 = hi.selectFrom(r2, r10);
            FloatVector t6 = lo.selectFrom(r3, r11);
            FloatVector t7 = hi.selectFrom(r3, r11);
            FloatVector t8 = lo.selectFrom(r4, r12);
            FloatVector t9 = hi.selectFrom(r4, r12);
            FloatVector t10 = lo.selectFrom(r5, r13);
            FloatVector t11 = hi.selectFrom(r5, r13);
            FloatVector t12 = lo.selectFrom(r6, r14);
            FloatVector t13 = hi.selectFrom(r6, r14);
            FloatVector t14 = lo.selectFrom(r7, r15);
            FloatVector t15 = hi.selectFrom(r7, r15);
            r0 = lo.selectFrom(t0, t8);
            r1 = hi.selectFrom(t0, t8);
            r2 = lo.selectFrom(t1, t9);
            r3 = hi.selectFrom(t1, t9);
            r4 = lo.selectFrom(t2, t10);
            r5 = hi.selectFrom(t2, t10);
            r6 = lo.selectFrom(t3, t11);
            r7 = hi.selectFrom(t3, t11);
            r8 = lo.selectFrom(t4, t12);
            r9 = hi.selectFrom(t4, t12);
            r10 = lo.selectFrom(t5, t13);
            r11 = hi.selectFrom(t5, t13);
            r12 = lo.selectFrom(t6, t14);
            r13 = hi.selectFrom(t6, t14);
            r14 = lo.selectFrom(t7, t15);
            r15 = hi.selectFrom(t7, t15);
            t0 = lo.selectFrom(r0, r8);
            t1 = hi.selectFrom(r0, r8);
            t2 = lo.selectFrom(r1, r9);
            t3 = hi.selectFrom(r1, r9);
            t4 = lo.selectFrom(r2, r10);
            t5 = hi.selectFrom(r2, r10);
            t6 = lo.selectFrom(r3, r11);
            t7 = hi.selectFrom(r3, r11);
            t8 = lo.selectFrom(r4, r12);
            t9 = hi.selectFrom(r4, r12);
            t10 = lo.selectFrom(r5, r13);
            t11 = hi.selectFrom(r5, r13);
            t12 = lo.selectFrom(r6, r14);
            t13 = hi.selectFrom(r6, r14);
            t14 = lo.selectFrom(r7, r15);
            t15 = hi.selectFrom(r7, r15);
            r0 = lo.selectFrom(t0, t8);
            r1 = hi.selectFrom(t0, t8);
            r2 = lo.selectFrom(t1, t9);
            r3 = hi.selectFrom(t1, t9);
            r4 = lo.selectFrom(t2, t10);
            r5 = hi.selectFrom(t2, t10);
            r6 = lo.selectFrom(t3, t11);
            r7 = hi.selectFrom(t3, t11);
            r8 = lo.selectFrom(t4, t12);
            r9 = hi.selectFrom(t4, t12);
            r10 = lo.selectFrom(t5, t13);
            r11 = hi.selectFrom(t5, t13);
            r12 = lo.selectFrom(t6, t14);
            r13 = hi.selectFrom(t6, t14);
            r14 = lo.selectFrom(t7, t15);
            r15 = hi.selectFrom(t7, t15);
            r0.intoArray(bp, d);
            r1.intoArray(bp, d + 1 * NR);
            r2.intoArray(bp, d + 2 * NR);
            r3.intoArray(bp, d + 3 * NR);
            r4.intoArray(bp, d + 4 * NR);
            r5.intoArray(bp, d + 5 * NR);
            r6.intoArray(bp, d + 6 * NR);
            r7.intoArray(bp, d + 7 * NR);
            r8.intoArray(bp, d + 8 * NR);
            r9.intoArray(bp, d + 9 * NR);
            r10.intoArray(bp, d + 10 * NR);
            r11.intoArray(bp, d + 11 * NR);
            r12.intoArray(bp, d + 12 * NR);
            r13.intoArray(bp, d + 13 * NR);
            r14.intoArray(bp, d + 14 * NR);
            r15.intoArray(bp, d + 15 * NR);
        }
    }

    /**
     * A~ from A [m, lda]: rows ic … ic+mc of the k-slab, each kc long ([mc][kc], rows padded to a multiple of
     * MR with zeros). The kernel reads each sliver as MR unit-stride streams, so this is a plain row copy;
     * {@link #gemm} uses it only for a block's partial last sliver and reads full slivers in place.
     */
    private static void packA(float[] a, int ao, int lda, int pc, int kc, int ic, int mc, float[] ap) {
        for (int i = 0; i < mc; i++) System.arraycopy(a, ao + (ic + i) * lda + pc, ap, i * kc, kc);
        java.util.Arrays.fill(ap, mc * kc, roundUp(mc, MR) * kc, 0f);
    }

    /**
     * A~ from Aᵀ stored [k, lda]: element (i, p) is a[p·lda + i]. Row-major slivers would make this a
     * transpose (a strided scalar gather per element); BLIS's interleaved sliver layout [kc][MR] instead takes
     * MR consecutive floats of each source row, so every source row is read front to back and every sliver
     * written front to back. Rows past mc are zero (partial last sliver), as in {@link #packA}.
     *
     * <p>The MR = 6 floats of a sliver's k-step move as one 8-float vector: the two extra floats land on the
     * sliver's next k-step, which is written afterwards (k-steps go in increasing order), so only the slab's last
     * k-step, whose extra floats would fall on the next sliver, and a read that would run past the array take
     * the element loop. Six scalar loads and stores per k-step were 10% of the weight-gradient GEMMs' time in
     * an MAE-B step (JFR: 3% of the step); with the vector move those GEMMs ran 2–10% faster (2 threads, the
     * step's TN shapes alternated call by call, 2026-12-07). Packing only moves floats: the same panels.
     */
    static void packATransposed(float[] a, int ao, int lda, int pc, int kc, int ic, int mc, float[] ap) {
        int slivers = (mc + MR - 1) / MR, full = mc / MR;
        // Slivers [0, vec) of k-steps [0, kc − 1) take the 8-float move; the rest the element loop.
        int vec = MOVE8 ? full : 0;
        int lastRow = ao + (pc + kc - 1) * lda + ic;
        while (vec > 0 && lastRow + (vec - 1) * MR + 8 > a.length) vec--;
        for (int p = 0; p < kc; p++) {
            int src = ao + (pc + p) * lda + ic, dst = p * MR, sl = 0;
            if (p < kc - 1) {
                for (; sl < vec; sl++, src += MR, dst += MR * kc) FloatVector.fromArray(EIGHT, a, src).intoArray(ap, dst);
            }
            for (; sl < full; sl++, src += MR, dst += MR * kc) {
                ap[dst] = a[src];
                ap[dst + 1] = a[src + 1];
                ap[dst + 2] = a[src + 2];
                ap[dst + 3] = a[src + 3];
                ap[dst + 4] = a[src + 4];
                ap[dst + 5] = a[src + 5];
            }
            if (full < slivers) {
                int w = mc - full * MR;
                for (int r = 0; r < MR; r++) ap[dst + r] = r < w ? a[src + r] : 0f;
            }
        }
    }

    /** The 8-float vector that moves one k-step of an A~ sliver (MR = 6 used, 2 overwritten later). */
    private static final VectorSpecies<Float> EIGHT = FloatVector.SPECIES_256;

    /** Only where 256-bit vectors are native (AVX2, AVX-512); elsewhere the Vector API would emulate them. */
    private static final boolean MOVE8 = SPECIES.vectorBitSize() >= 256 && MR <= 8;

    // ---------------------------------------------------------------- micro-kernel

    /**
     * A tile that may be cut by the matrix edge: full tiles go straight to C; edge tiles are computed into
     * the scratch tile (alpha = 1, beta = 0, so it holds the raw sums) and finished with the same scalar
     * arithmetic the vector store does, so an element's bits do not depend on which kind of tile it was in.
     */
    private static void tile(int kc, float[] ap, int aOff, int ars, int aps, float[] bp, int bOff,
                             float[] in, int inOff, int ldin, float[] c, int cOff, int ldc,
                             int rows, int cols, float alpha, float beta, float[] tile) {
        if (rows == MR && cols == NR) {
            kernel(kc, ap, aOff, ars, aps, bp, bOff, in, inOff, ldin, c, cOff, ldc, alpha, beta);
            return;
        }
        kernel(kc, ap, aOff, ars, aps, bp, bOff, tile, 0, NR, tile, 0, NR, 1f, 0f);
        for (int r = 0; r < rows; r++) {
            int cr = cOff + r * ldc, ir = inOff + r * ldin;
            for (int j = 0; j < cols; j++) {
                float t = alpha * tile[r * NR + j];
                c[cr + j] = beta == 0f ? t : beta * in[ir + j] + t;
            }
        }
    }

    /**
     * One full MR×NR tile: acc = A-sliver · B-panel over kc, then C = beta·In + alpha·acc (In unread when
     * beta == 0; In is C itself, or the bias row with ldin = 0). Per p: 2 vector loads of B, 6 broadcasts of A,
     * 12 FMAs. The stores are written out rather than factored into a helper: a helper taking vectors must be
     * inlined or the vectors get boxed, and this method is big enough that C2 stops inlining
     * (NodeCountInliningCutoff) part-way through. That happened to a first version with a two-vector store
     * helper: 22 instead of 150 GFLOP/s on one core.
     */
    private static void kernel(int kc, float[] ap, int aOff, int ars, int aps, float[] bp, int bOff,
                               float[] in, int inOff, int ldin, float[] c, int cOff, int ldc, float alpha, float beta) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES), c11 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES), c21 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES), c31 = FloatVector.zero(SPECIES);
        FloatVector c40 = FloatVector.zero(SPECIES), c41 = FloatVector.zero(SPECIES);
        FloatVector c50 = FloatVector.zero(SPECIES), c51 = FloatVector.zero(SPECIES);
        int a0 = aOff, a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars;
        for (int p = 0, ai = 0; p < kc; p++, ai += aps) {
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, bp, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            FloatVector x = FloatVector.broadcast(SPECIES, ap[a0 + ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[a1 + ai]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[a2 + ai]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[a3 + ai]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, ap[a4 + ai]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, ap[a5 + ai]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        int o0 = cOff, o1 = o0 + ldc, o2 = o1 + ldc, o3 = o2 + ldc, o4 = o3 + ldc, o5 = o4 + ldc;
        c00 = c00.mul(alpha);
        c01 = c01.mul(alpha);
        c10 = c10.mul(alpha);
        c11 = c11.mul(alpha);
        c20 = c20.mul(alpha);
        c21 = c21.mul(alpha);
        c30 = c30.mul(alpha);
        c31 = c31.mul(alpha);
        c40 = c40.mul(alpha);
        c41 = c41.mul(alpha);
        c50 = c50.mul(alpha);
        c51 = c51.mul(alpha);
        if (beta != 0f) {
            int i0 = inOff, i1 = i0 + ldin, i2 = i1 + ldin, i3 = i2 + ldin, i4 = i3 + ldin, i5 = i4 + ldin;
            c00 = FloatVector.fromArray(SPECIES, in, i0).mul(beta).add(c00);
            c01 = FloatVector.fromArray(SPECIES, in, i0 + V).mul(beta).add(c01);
            c10 = FloatVector.fromArray(SPECIES, in, i1).mul(beta).add(c10);
            c11 = FloatVector.fromArray(SPECIES, in, i1 + V).mul(beta).add(c11);
            c20 = FloatVector.fromArray(SPECIES, in, i2).mul(beta).add(c20);
            c21 = FloatVector.fromArray(SPECIES, in, i2 + V).mul(beta).add(c21);
            c30 = FloatVector.fromArray(SPECIES, in, i3).mul(beta).add(c30);
            c31 = FloatVector.fromArray(SPECIES, in, i3 + V).mul(beta).add(c31);
            c40 = FloatVector.fromArray(SPECIES, in, i4).mul(beta).add(c40);
            c41 = FloatVector.fromArray(SPECIES, in, i4 + V).mul(beta).add(c41);
            c50 = FloatVector.fromArray(SPECIES, in, i5).mul(beta).add(c50);
            c51 = FloatVector.fromArray(SPECIES, in, i5 + V).mul(beta).add(c51);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + V);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + V);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + V);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + V);
        c40.intoArray(c, o4);
        c41.intoArray(c, o4 + V);
        c50.intoArray(c, o5);
        c51.intoArray(c, o5 + V);
    }
}
