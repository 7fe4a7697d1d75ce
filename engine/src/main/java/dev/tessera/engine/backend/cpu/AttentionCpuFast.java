package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.GradMode;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention on the Vector API: the same math as {@link AttentionCpu} (the readable oracle,
 * which keeps every sum in double), written as small per-head matrix products in float so the CPU backend
 * can train at speed. Per head the scores are kept transposed, keys down and queries across, Sᵀ [lk, lqp]
 * (lqp = lq rounded up to the vector width), so that softmax's reductions over keys run down columns: a max and
 * a sum per lane, vector against vector, with no horizontal reduction per query and no padding to mask (the
 * padding lanes are queries that do not exist: finite, computed, never read). With Q̃ᵀ = scale·Qᵀ and doutᵀ
 * copied into zero-padded scratch [d, lqp], every product is "broadcast one scalar of A, FMA a row of B":
 * <pre>
 *   forward:   Sᵀ = K·Q̃ᵀ               [lk, lqp]   m_i = max_j Sᵀ_ji, Eᵀ = exp(Sᵀ − m) in place, l_i = Σ_j Eᵀ_ji
 *              out = (E·V) / l         [lq, d]     lse_i = m_i + log l_i
 *   backward:  Sᵀ = K·Q̃ᵀ, Pᵀ = exp(Sᵀ − lse)       (recomputed, as the oracle does)
 *              dPᵀ = V·doutᵀ, D_i = dout_i·out_i, dSᵀ = Pᵀ ∘ (dPᵀ − D)
 *              dq += scale·dS·K,  dk += scale·dSᵀ·Q,  dv += Pᵀ·dout
 * </pre>
 * The forward divides the d outputs of a query by l_i instead of its lk probabilities (FlashAttention's deferred
 * normalisation, Dao et al. 2022, Algorithm 1). Where one head's time goes (bench/RESULTS.md, issue #13): the five
 * products, then the exponentials ({@link VectorMath#expSoftmax}), then the two transposes. Heads run in parallel;
 * each thread owns its scratch, reused across calls (a training step repeats the same shapes). Accuracy: float
 * sums of at most max(d, lk) terms, compared with the oracle in {@code AttentionCpuFastTest}.
 */
final class AttentionCpuFast {
    private AttentionCpuFast() {}

    private static final VectorSpecies<Float> SPECIES = SgemmVector.SPECIES;
    private static final int V = SPECIES.length();

    /** Per-thread scratch, grown on demand: two [d, lqp] transposes, two [lk, lqp] score blocks, per-query rows. */
    private static final class Scratch {
        float[] qt = new float[0], gt = new float[0], s = new float[0], dp = new float[0];
        float[] m = new float[0], l = new float[0], inv = new float[0];
        /** A block's raw sums, [8][2V] at most, on their way through {@link #finish}. */
        final float[] tile = new float[16 * V];

        void ensure(int d, int lk, int lqp) {
            if (qt.length < d * lqp) {
                qt = new float[d * lqp];
                gt = new float[d * lqp];
            }
            if (s.length < lk * lqp) {
                s = new float[lk * lqp];
                dp = new float[lk * lqp];
            }
            if (m.length < lqp) {
                m = new float[lqp];
                l = new float[lqp];
                inv = new float[lqp];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static void forward(Parallel par, float[] q, int qo, float[] k, int ko, float[] v, int vo,
                        float[] out, int oo, float[] lse, int lo, int heads, int lq, int lk, int d, float scale) {
        AttentionCpuHeads.forward(par, AttentionLayout.contiguous(heads, lq, lk, d), q, qo, k, ko, v, vo, out, oo,
                lse, lo, () -> forwardHead(lq, lk, d, scale));
    }

    /** Accumulates into dq, dk, dv (each may be null). */
    static void backward(Parallel par, float[] q, int qo, float[] k, int ko, float[] v, int vo,
                         float[] out, int oo, float[] lse, int lo, float[] dout, int doo,
                         float[] dq, int dqo, float[] dk, int dko, float[] dv, int dvo,
                         int heads, int lq, int lk, int d, float scale) {
        AttentionCpuHeads.backward(par, AttentionLayout.contiguous(heads, lq, lk, d), q, qo, k, ko, v, vo, out, oo,
                lse, lo, dout, doo, dq, dqo, dk, dko, dv, dvo, GradMode.ACCUMULATE, () -> backwardHead(lq, lk, d, scale));
    }

    /** One head's forward on dense rows, with the calling thread's scratch. */
    static AttentionCpuHeads.ForwardHead forwardHead(int lq, int lk, int d, float scale) {
        int lqp = roundUp(lq, V);
        Scratch sc = SCRATCH.get();
        sc.ensure(d, lk, lqp);
        float[] qt = sc.qt, e = sc.s, m = sc.m, l = sc.l, inv = sc.inv;
        int[] rowStarts = rowStarts(d);
        return (q, qb, k, kb, v, vb, out, ob, lse, lb) -> {
            transpose(q, qb, lq, d, scale, qt, lqp, rowStarts);                   // Q̃ᵀ = scale·Qᵀ
            mm(lk, lqp, d, 1f, k, kb, d, 1, qt, 0, lqp, e, 0, lqp, false);        // Sᵀ = K·Q̃ᵀ
            columnMax(e, lk, lqp, m);
            java.util.Arrays.fill(l, 0, lqp, 0f);
            for (int j = 0; j < lk; j++) {
                VectorMath.expSoftmax(e, j * lqp, lqp, m, 0);                     // Eᵀ = exp(Sᵀ − m)
                addRow(e, j * lqp, lqp, l);                                       // l += Eᵀ_j
            }
            for (int i = 0; i < lq; i++) {
                inv[i] = 1f / l[i];
                lse[lb + i] = m[i] + (float) Math.log(l[i]);
            }
            mm(lq, d, lk, 1f, e, 0, 1, lqp, v, vb, d, out, ob, d, false);         // out = E·V
            scaleRows(out, ob, lq, d, inv);                                       // out_i /= l_i
        };
    }

    /** One head's backward on dense rows; adds into dq, dk, dv (each may be null). */
    static AttentionCpuHeads.BackwardHead backwardHead(int lq, int lk, int d, float scale) {
        int lqp = roundUp(lq, V);
        Scratch sc = SCRATCH.get();
        sc.ensure(d, lk, lqp);
        float[] qt = sc.qt, gt = sc.gt, p = sc.s, ds = sc.dp, shift = sc.m, di = sc.l;
        int[] rowStarts = rowStarts(d);
        return (q, qb, k, kb, v, vb, out, ob, lse, lb, dout, gb, dq, dqb, dk, dkb, dv, dvb) -> {
            transpose(q, qb, lq, d, scale, qt, lqp, rowStarts);                   // Q̃ᵀ = scale·Qᵀ
            transpose(dout, gb, lq, d, 1f, gt, lqp, rowStarts);                   // doutᵀ
            mm(lk, lqp, d, 1f, k, kb, d, 1, qt, 0, lqp, p, 0, lqp, false);        // Sᵀ = K·Q̃ᵀ
            mm(lk, lqp, d, 1f, v, vb, d, 1, gt, 0, lqp, ds, 0, lqp, false);       // dPᵀ = V·doutᵀ
            for (int i = 0; i < lq; i++) {
                shift[i] = lse[lb + i];
                di[i] = dot(dout, gb + i * d, out, ob + i * d, d);                // D_i = dout_i·out_i
            }
            java.util.Arrays.fill(shift, lq, lqp, 0f);                            // padding queries: any finite value
            java.util.Arrays.fill(di, lq, lqp, 0f);
            for (int j = 0; j < lk; j++) {
                VectorMath.expSoftmax(p, j * lqp, lqp, shift, 0);                 // Pᵀ = exp(Sᵀ − lse)
                scoreGradRow(p, ds, j * lqp, lqp, di);                            // dSᵀ = Pᵀ ∘ (dPᵀ − D)
            }
            if (dq != null) mm(lq, d, lk, scale, ds, 0, 1, lqp, k, kb, d, dq, dqb, d, true);
            if (dk != null) mm(lk, d, lq, scale, ds, 0, lqp, 1, q, qb, d, dk, dkb, d, true);
            if (dv != null) mm(lk, d, lq, 1f, p, 0, lqp, 1, dout, gb, d, dv, dvb, d, true);
        };
    }

    // ---------------------------------------------------------------- pieces

    /** {0, d, 2d, …}: where V consecutive rows of a [rows, d] block start, the index map of a column gather. */
    private static int[] rowStarts(int d) {
        int[] at = new int[V];
        for (int l = 0; l < V; l++) at[l] = l * d;
        return at;
    }

    /**
     * dst[c·ldt + j] = alpha·src[j·d + c] for j &lt; n; columns n..ldt are zero. V rows at a time by a gather
     * down a column of src (one instruction where a scalar loop paid V strided loads and stores), the rest scalar;
     * a gather moves values and the multiply is the scalar one per lane, so the bits are those of the plain loop.
     */
    private static void transpose(float[] src, int so, int n, int d, float alpha, float[] dst, int ldt, int[] rowStarts) {
        int full = n / V * V;
        for (int c = 0; c < d; c++) {
            int row = c * ldt;
            for (int j = 0; j < full; j += V) {
                FloatVector.fromArray(SPECIES, src, so + j * d + c, rowStarts, 0).mul(alpha).intoArray(dst, row + j);
            }
            for (int j = full; j < n; j++) dst[row + j] = alpha * src[so + j * d + c];
            for (int j = n; j < ldt; j++) dst[row + j] = 0f;
        }
    }

    /**
     * m[i] = max_j s[j·lqp + i] for i &lt; lqp: rows folded into m one after another, lanes independent. A compare
     * and blend rather than max(), whose Java semantics (NaN, −0) cost C2 several instructions per vector; the
     * maximum is exact either way (a NaN score makes its column's exponentials NaN whichever m it leaves).
     */
    private static void columnMax(float[] s, int lk, int lqp, float[] m) {
        System.arraycopy(s, 0, m, 0, lqp);
        for (int j = 1; j < lk; j++) {
            for (int i = 0; i < lqp; i += V) {
                FloatVector mv = FloatVector.fromArray(SPECIES, m, i), x = FloatVector.fromArray(SPECIES, s, j * lqp + i);
                mv.blend(x, x.compare(VectorOperators.GT, mv)).intoArray(m, i);
            }
        }
    }

    /** l[i] += e[at + i] for i &lt; lqp: the column sums, added key after key. */
    private static void addRow(float[] e, int at, int lqp, float[] l) {
        for (int i = 0; i < lqp; i += V) {
            FloatVector.fromArray(SPECIES, l, i).add(FloatVector.fromArray(SPECIES, e, at + i)).intoArray(l, i);
        }
    }

    /** ds[at + i] ← p[at + i]·(ds[at + i] − di[i]) for i &lt; lqp: one key's row of dSᵀ. */
    private static void scoreGradRow(float[] p, float[] ds, int at, int lqp, float[] di) {
        for (int i = 0; i < lqp; i += V) {
            FloatVector dpv = FloatVector.fromArray(SPECIES, ds, at + i).sub(FloatVector.fromArray(SPECIES, di, i));
            FloatVector.fromArray(SPECIES, p, at + i).mul(dpv).intoArray(ds, at + i);
        }
    }

    /** out[ob + i·d + c] *= inv[i]. */
    private static void scaleRows(float[] out, int ob, int lq, int d, float[] inv) {
        int dv = d / V * V;
        for (int i = 0; i < lq; i++) {
            int at = ob + i * d;
            float f = inv[i];
            for (int c = 0; c < dv; c += V) FloatVector.fromArray(SPECIES, out, at + c).mul(f).intoArray(out, at + c);
            for (int c = dv; c < d; c++) out[at + c] *= f;
        }
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int c = 0;
        for (int end = n / V * V; c < end; c += V) {
            acc = FloatVector.fromArray(SPECIES, a, ao + c).fma(FloatVector.fromArray(SPECIES, b, bo + c), acc);
        }
        float s = VectorMath.sum(acc);
        for (; c < n; c++) s += a[ao + c] * b[bo + c];
        return s;
    }

    /**
     * C (+)= alpha·A·B for small matrices, no packing: C [rows, n] with row stride ldc; element (r, p) of A at
     * a[ao + r·ars + p·aps] (any strides: A may be read transposed); row p of B contiguous at b[bo + p·ldb].
     * Blocks of eight rows × two vectors of C ({@link #block8x2}: sixteen independent FMA chains, twice what two
     * FMA ports × four cycles of latency need, so a late broadcast or load does not stall them; each B vector
     * shared by eight rows, each broadcast A scalar by two vectors), then four rows × two vectors, four rows × one
     * vector, two rows × two vectors, single rows (two vectors, then one), and scalar columns past the last full
     * vector. The small blocks are for the rows left over: run as single chains, two of them cost as much as eight
     * rows in blocks. Each block is its own small method on arrays and indices: C2 compiles it with every Vector
     * API call inlined, where one large method ran out of its inlining budget and left a vector-taking helper out of
     * line, boxing a vector per call (PrintInlining: "NodeCountInliningCutoff"); for the same reason each block
     * leaves its scaling and store to {@link #finish}. Every element of C is the same
     * chain fma(b_p, a_p, ·) over p = 0, 1, … from zero, times alpha, plus C when accumulating, whichever block
     * computes it, so the blocking (and the thread that runs a head) never changes a bit of the result.
     */
    static void mm(int rows, int n, int kk, float alpha, float[] a, int ao, int ars, int aps,
                   float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean accumulate) {
        int nv = n / V * V, nv2 = n / (2 * V) * (2 * V);
        float[] tile = SCRATCH.get().tile;
        int r = 0;
        for (; r + 8 <= rows && nv2 > 0; r += 8) {
            int a0 = ao + r * ars, c0 = co + r * ldc;
            for (int col = 0; col < nv2; col += 2 * V) block8x2(kk, alpha, a, a0, ars, aps, b, bo + col, ldb, c, c0 + col, ldc, accumulate, tile);
            int a4 = a0 + 4 * ars, c4 = c0 + 4 * ldc;
            for (int col = nv2; col < nv; col += V) {
                block4x1(kk, alpha, a, a0, ars, aps, b, bo + col, ldb, c, c0 + col, ldc, accumulate, tile);
                block4x1(kk, alpha, a, a4, ars, aps, b, bo + col, ldb, c, c4 + col, ldc, accumulate, tile);
            }
            for (int col = nv; col < n; col++) {
                for (int i = 0; i < 8; i++) {
                    scalarCell(kk, alpha, a, a0 + i * ars, aps, b, bo + col, ldb, c, c0 + i * ldc + col, accumulate);
                }
            }
        }
        for (; r + 4 <= rows; r += 4) {
            int a0 = ao + r * ars, c0 = co + r * ldc;
            int col = 0;
            for (; col < nv2; col += 2 * V) block4x2(kk, alpha, a, a0, ars, aps, b, bo + col, ldb, c, c0 + col, ldc, accumulate, tile);
            for (; col < nv; col += V) block4x1(kk, alpha, a, a0, ars, aps, b, bo + col, ldb, c, c0 + col, ldc, accumulate, tile);
            for (col = nv; col < n; col++) {
                for (int i = 0; i < 4; i++) {
                    scalarCell(kk, alpha, a, a0 + i * ars, aps, b, bo + col, ldb, c, c0 + i * ldc + col, accumulate);
                }
            }
        }
        for (; r + 2 <= rows && nv2 > 0; r += 2) {
            int a0 = ao + r * ars, c0 = co + r * ldc;
            for (int col = 0; col < nv2; col += 2 * V) block2x2(kk, alpha, a, a0, ars, aps, b, bo + col, ldb, c, c0 + col, ldc, accumulate, tile);
            for (int col = nv2; col < nv; col += V) {
                block1x1(kk, alpha, a, a0, aps, b, bo + col, ldb, c, c0 + col, accumulate, tile);
                block1x1(kk, alpha, a, a0 + ars, aps, b, bo + col, ldb, c, c0 + ldc + col, accumulate, tile);
            }
            for (int col = nv; col < n; col++) {
                scalarCell(kk, alpha, a, a0, aps, b, bo + col, ldb, c, c0 + col, accumulate);
                scalarCell(kk, alpha, a, a0 + ars, aps, b, bo + col, ldb, c, c0 + ldc + col, accumulate);
            }
        }
        for (; r < rows; r++) {
            int a0 = ao + r * ars, c0 = co + r * ldc;
            for (int col = 0; col < nv2; col += 2 * V) block1x2(kk, alpha, a, a0, aps, b, bo + col, ldb, c, c0 + col, accumulate, tile);
            for (int col = nv2; col < nv; col += V) block1x1(kk, alpha, a, a0, aps, b, bo + col, ldb, c, c0 + col, accumulate, tile);
            for (int col = nv; col < n; col++) scalarCell(kk, alpha, a, a0, aps, b, bo + col, ldb, c, c0 + col, accumulate);
        }
    }

    /** Rows a0, a0 + ars, … (eight) of A times columns [bo, bo + 2V) of B into C at c0 (row stride ldc). */
    private static void block8x2(int kk, float alpha, float[] a, int a0, int ars, int aps, float[] b, int bo, int ldb,
                                 float[] c, int c0, int ldc, boolean accumulate, float[] tile) {
        int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars, a6 = a5 + ars, a7 = a6 + ars;
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        FloatVector t0 = s0, t1 = s0, t2 = s0, t3 = s0, t4 = s0, t5 = s0, t6 = s0, t7 = s0;
        for (int p = 0, ap = 0, bp = bo; p < kk; p++, ap += aps, bp += ldb) {
            FloatVector bv = FloatVector.fromArray(SPECIES, b, bp), bw = FloatVector.fromArray(SPECIES, b, bp + V);
            FloatVector x0 = FloatVector.broadcast(SPECIES, a[a0 + ap]), x1 = FloatVector.broadcast(SPECIES, a[a1 + ap]);
            FloatVector x2 = FloatVector.broadcast(SPECIES, a[a2 + ap]), x3 = FloatVector.broadcast(SPECIES, a[a3 + ap]);
            s0 = bv.fma(x0, s0);
            t0 = bw.fma(x0, t0);
            s1 = bv.fma(x1, s1);
            t1 = bw.fma(x1, t1);
            s2 = bv.fma(x2, s2);
            t2 = bw.fma(x2, t2);
            s3 = bv.fma(x3, s3);
            t3 = bw.fma(x3, t3);
            FloatVector x4 = FloatVector.broadcast(SPECIES, a[a4 + ap]), x5 = FloatVector.broadcast(SPECIES, a[a5 + ap]);
            FloatVector x6 = FloatVector.broadcast(SPECIES, a[a6 + ap]), x7 = FloatVector.broadcast(SPECIES, a[a7 + ap]);
            s4 = bv.fma(x4, s4);
            t4 = bw.fma(x4, t4);
            s5 = bv.fma(x5, s5);
            t5 = bw.fma(x5, t5);
            s6 = bv.fma(x6, s6);
            t6 = bw.fma(x6, t6);
            s7 = bv.fma(x7, s7);
            t7 = bw.fma(x7, t7);
        }
        s0.intoArray(tile, 0 * V);
        t0.intoArray(tile, 1 * V);
        s1.intoArray(tile, 2 * V);
        t1.intoArray(tile, 3 * V);
        s2.intoArray(tile, 4 * V);
        t2.intoArray(tile, 5 * V);
        s3.intoArray(tile, 6 * V);
        t3.intoArray(tile, 7 * V);
        s4.intoArray(tile, 8 * V);
        t4.intoArray(tile, 9 * V);
        s5.intoArray(tile, 10 * V);
        t5.intoArray(tile, 11 * V);
        s6.intoArray(tile, 12 * V);
        t6.intoArray(tile, 13 * V);
        s7.intoArray(tile, 14 * V);
        t7.intoArray(tile, 15 * V);
        finish(tile, 8, 2, alpha, c, c0, ldc, accumulate);
    }

    /** Rows a0, a0 + ars, … (four) of A times columns [bo, bo + 2V) of B into C at c0 (row stride ldc). */
    private static void block4x2(int kk, float alpha, float[] a, int a0, int ars, int aps, float[] b, int bo, int ldb,
                                 float[] c, int c0, int ldc, boolean accumulate, float[] tile) {
        int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        for (int p = 0, ap = 0, bp = bo; p < kk; p++, ap += aps, bp += ldb) {
            FloatVector bv = FloatVector.fromArray(SPECIES, b, bp), bw = FloatVector.fromArray(SPECIES, b, bp + V);
            FloatVector x0 = FloatVector.broadcast(SPECIES, a[a0 + ap]), x1 = FloatVector.broadcast(SPECIES, a[a1 + ap]);
            FloatVector x2 = FloatVector.broadcast(SPECIES, a[a2 + ap]), x3 = FloatVector.broadcast(SPECIES, a[a3 + ap]);
            s0 = bv.fma(x0, s0);
            t0 = bw.fma(x0, t0);
            s1 = bv.fma(x1, s1);
            t1 = bw.fma(x1, t1);
            s2 = bv.fma(x2, s2);
            t2 = bw.fma(x2, t2);
            s3 = bv.fma(x3, s3);
            t3 = bw.fma(x3, t3);
        }
        s0.intoArray(tile, 0 * V);
        t0.intoArray(tile, 1 * V);
        s1.intoArray(tile, 2 * V);
        t1.intoArray(tile, 3 * V);
        s2.intoArray(tile, 4 * V);
        t2.intoArray(tile, 5 * V);
        s3.intoArray(tile, 6 * V);
        t3.intoArray(tile, 7 * V);
        finish(tile, 4, 2, alpha, c, c0, ldc, accumulate);
    }

    /** Four rows of A times columns [bo, bo + V) of B into C at c0. */
    private static void block4x1(int kk, float alpha, float[] a, int a0, int ars, int aps, float[] b, int bo, int ldb,
                                 float[] c, int c0, int ldc, boolean accumulate, float[] tile) {
        int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
        for (int p = 0, ap = 0, bp = bo; p < kk; p++, ap += aps, bp += ldb) {
            FloatVector bv = FloatVector.fromArray(SPECIES, b, bp);
            s0 = bv.fma(FloatVector.broadcast(SPECIES, a[a0 + ap]), s0);
            s1 = bv.fma(FloatVector.broadcast(SPECIES, a[a1 + ap]), s1);
            s2 = bv.fma(FloatVector.broadcast(SPECIES, a[a2 + ap]), s2);
            s3 = bv.fma(FloatVector.broadcast(SPECIES, a[a3 + ap]), s3);
        }
        s0.intoArray(tile, 0 * V);
        s1.intoArray(tile, 1 * V);
        s2.intoArray(tile, 2 * V);
        s3.intoArray(tile, 3 * V);
        finish(tile, 4, 1, alpha, c, c0, ldc, accumulate);
    }

    /** Rows a0 and a0 + ars of A times columns [bo, bo + 2V) of B into C at c0 (row stride ldc): four chains. */
    private static void block2x2(int kk, float alpha, float[] a, int a0, int ars, int aps, float[] b, int bo, int ldb,
                                 float[] c, int c0, int ldc, boolean accumulate, float[] tile) {
        int a1 = a0 + ars;
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, t0 = s0, t1 = s0;
        for (int p = 0, ap = 0, bp = bo; p < kk; p++, ap += aps, bp += ldb) {
            FloatVector bv = FloatVector.fromArray(SPECIES, b, bp), bw = FloatVector.fromArray(SPECIES, b, bp + V);
            FloatVector x0 = FloatVector.broadcast(SPECIES, a[a0 + ap]), x1 = FloatVector.broadcast(SPECIES, a[a1 + ap]);
            s0 = bv.fma(x0, s0);
            t0 = bw.fma(x0, t0);
            s1 = bv.fma(x1, s1);
            t1 = bw.fma(x1, t1);
        }
        s0.intoArray(tile, 0 * V);
        t0.intoArray(tile, 1 * V);
        s1.intoArray(tile, 2 * V);
        t1.intoArray(tile, 3 * V);
        finish(tile, 2, 2, alpha, c, c0, ldc, accumulate);
    }

    /** One row of A times columns [bo, bo + 2V) of B into C at c0: two chains, where one row alone waits on one. */
    private static void block1x2(int kk, float alpha, float[] a, int a0, int aps, float[] b, int bo, int ldb,
                                 float[] c, int c0, boolean accumulate, float[] tile) {
        FloatVector s0 = FloatVector.zero(SPECIES), t0 = s0;
        for (int p = 0, ap = 0, bp = bo; p < kk; p++, ap += aps, bp += ldb) {
            FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + ap]);
            s0 = FloatVector.fromArray(SPECIES, b, bp).fma(x, s0);
            t0 = FloatVector.fromArray(SPECIES, b, bp + V).fma(x, t0);
        }
        s0.intoArray(tile, 0 * V);
        t0.intoArray(tile, 1 * V);
        finish(tile, 1, 2, alpha, c, c0, 0, accumulate);
    }

    /** One row of A times columns [bo, bo + V) of B into C at c0. */
    private static void block1x1(int kk, float alpha, float[] a, int a0, int aps, float[] b, int bo, int ldb,
                                 float[] c, int c0, boolean accumulate, float[] tile) {
        FloatVector s0 = FloatVector.zero(SPECIES);
        for (int p = 0, ap = 0, bp = bo; p < kk; p++, ap += aps, bp += ldb) {
            s0 = FloatVector.fromArray(SPECIES, b, bp).fma(FloatVector.broadcast(SPECIES, a[a0 + ap]), s0);
        }
        s0.intoArray(tile, 0 * V);
        finish(tile, 1, 1, alpha, c, c0, 0, accumulate);
    }

    /**
     * The end of every block: C = alpha·sums (+ C when accumulating), rows × vecs vectors of raw sums read from
     * {@code tile} ([rows][vecs·V]), row r of C at c0 + r·ldc. The blocks store their accumulators and call this
     * instead of writing the epilogue out: block8x2 with its sixteen multiply/add/store triples written out was
     * past C2's inlining budget (NodeCountInliningCutoff), and depending on compilation order the calls from its
     * fourth row on were left out of line, where the Vector API falls back to element-by-element Java: a JFR
     * sample of an MAE-B step put 8% of the whole step on one such {@code mul} (2026-12-07). This loop is small
     * whichever way C2 treats it. Same arithmetic: sum·alpha, then + C.
     */
    private static void finish(float[] tile, int rows, int vecs, float alpha, float[] c, int c0, int ldc,
                               boolean accumulate) {
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < vecs; h++) {
                int at = c0 + r * ldc + h * V;
                FloatVector x = FloatVector.fromArray(SPECIES, tile, (r * vecs + h) * V).mul(alpha);
                if (accumulate) x = x.add(FloatVector.fromArray(SPECIES, c, at));
                x.intoArray(c, at);
            }
        }
    }

    private static void scalarCell(int kk, float alpha, float[] a, int a0, int aps, float[] b, int b0, int ldb,
                                   float[] c, int at, boolean accumulate) {
        float s = 0;
        for (int p = 0; p < kk; p++) s += a[a0 + p * aps] * b[b0 + p * ldb];
        c[at] = accumulate ? c[at] + alpha * s : alpha * s;
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }
}
