package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.AttentionLayout;
import dev.tessera.engine.backend.GradMode;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention on the Vector API: the same math as {@link AttentionCpu} (the readable oracle,
 * which keeps every sum in double), written as small per-head matrix products in float so the CPU backend
 * can train at speed. Per head, with K̃ = scale·Kᵀ and Vᵀ copied into zero-padded scratch [d, lkp]
 * (lkp = lk rounded up to the vector width), every product is "broadcast one scalar of A, FMA a row of B":
 * <pre>
 *   forward:   S = Q·K̃                [lq, lkp]   rows softmax-ed in place → P, lse_i = m_i + log l_i
 *              out = P·V              [lq, d]
 *   backward:  S = Q·K̃, P = exp(S − lse)          (recomputed, as the oracle does)
 *              dP = dout·Vᵀ, D_i = dout_i·out_i, dS = P ∘ (dP − D)
 *              dq += scale·dS·K,  dk += scale·dSᵀ·Q,  dv += Pᵀ·dout
 * </pre>
 * Padding columns of S are set to −∞ before the exponentials, so P and dS are exactly zero there and every
 * loop runs over whole vectors with no masks; the products that sum over keys stop at lk anyway. Heads run in parallel; each thread owns its scratch, reused
 * across calls (a training step repeats the same shapes). Accuracy: float sums of at most max(d, lk) terms,
 * compared with the oracle in {@code AttentionCpuFastTest}.
 */
final class AttentionCpuFast {
    private AttentionCpuFast() {}

    private static final VectorSpecies<Float> SPECIES = SgemmVector.SPECIES;
    private static final int V = SPECIES.length();

    /** Per-thread scratch, grown on demand. */
    private static final class Scratch {
        float[] kt = new float[0], vt = new float[0], s = new float[0], dp = new float[0];

        void ensure(int d, int lq, int lkp) {
            if (kt.length < d * lkp) {
                kt = new float[d * lkp];
                vt = new float[d * lkp];
            }
            if (s.length < lq * lkp) {
                s = new float[lq * lkp];
                dp = new float[lq * lkp];
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
        int lkp = roundUp(lk, V);
        Scratch sc = SCRATCH.get();
        sc.ensure(d, lq, lkp);
        float[] kt = sc.kt, s = sc.s;
        return (q, qb, k, kb, v, vb, out, ob, lse, lb) -> {
            transpose(k, kb, lk, d, scale, kt, lkp);
            mm(lq, lkp, d, 1f, q, qb, d, 1, kt, 0, lkp, s, 0, lkp, false);       // S = Q·K̃
            for (int i = 0; i < lq; i++) lse[lb + i] = softmaxRow(s, i * lkp, lk, lkp);
            mm(lq, d, lk, 1f, s, 0, lkp, 1, v, vb, d, out, ob, d, false);         // out = P·V
        };
    }

    /** One head's backward on dense rows; adds into dq, dk, dv (each may be null). */
    static AttentionCpuHeads.BackwardHead backwardHead(int lq, int lk, int d, float scale) {
        int lkp = roundUp(lk, V);
        Scratch sc = SCRATCH.get();
        sc.ensure(d, lq, lkp);
        float[] kt = sc.kt, vt = sc.vt, p = sc.s, ds = sc.dp;
        return (q, qb, k, kb, v, vb, out, ob, lse, lb, dout, gb, dq, dqb, dk, dkb, dv, dvb) -> {
            transpose(k, kb, lk, d, scale, kt, lkp);
            transpose(v, vb, lk, d, 1f, vt, lkp);
            mm(lq, lkp, d, 1f, q, qb, d, 1, kt, 0, lkp, p, 0, lkp, false);        // S = Q·K̃
            mm(lq, lkp, d, 1f, dout, gb, d, 1, vt, 0, lkp, ds, 0, lkp, false);    // dP = dout·Vᵀ
            for (int i = 0; i < lq; i++) {
                float di = dot(dout, gb + i * d, out, ob + i * d, d);
                probsAndDs(p, ds, i * lkp, lk, lkp, lse[lb + i], di);
            }
            if (dq != null) mm(lq, d, lk, scale, ds, 0, lkp, 1, k, kb, d, dq, dqb, d, true);
            if (dk != null) mm(lk, d, lq, scale, ds, 0, 1, lkp, q, qb, d, dk, dkb, d, true);
            if (dv != null) mm(lk, d, lq, 1f, p, 0, 1, lkp, dout, gb, d, dv, dvb, d, true);
        };
    }

    // ---------------------------------------------------------------- pieces

    /** dst[c·lkp + j] = alpha·src[j·d + c] for j &lt; lk; columns lk..lkp are zero. */
    private static void transpose(float[] src, int so, int lk, int d, float alpha, float[] dst, int lkp) {
        for (int c = 0; c < d; c++) {
            int row = c * lkp;
            for (int j = 0; j < lk; j++) dst[row + j] = alpha * src[so + j * d + c];
            for (int j = lk; j < lkp; j++) dst[row + j] = 0f;
        }
    }

    /**
     * Softmax of s[at .. at+lk) in place; returns the row's log-sum-exp. The padding lk..lkp is set to −∞
     * first, so whole vectors can be processed: exp(−∞) = 0 leaves P zero there. Exponentials and their sum are
     * separate small methods: with both in one, C2's inlining budget ran out before {@link VectorMath#sum}, which
     * then boxed its vector on every row (PrintInlining: "NodeCountInliningCutoff"). The sum re-reads the
     * stored exponentials and adds them lane-wise in the same order, so its bits are those of the fused loop.
     */
    private static float softmaxRow(float[] s, int at, int lk, int lkp) {
        java.util.Arrays.fill(s, at + lk, at + lkp, Float.NEGATIVE_INFINITY);
        float m = rowMax(s, at, lkp);
        expRow(s, at, lkp, m);
        float l = rowSum(s, at, lkp), inv = 1f / l;
        for (int j = 0; j < lkp; j += V) FloatVector.fromArray(SPECIES, s, at + j).mul(inv).intoArray(s, at + j);
        return m + (float) Math.log(l);
    }

    private static float rowMax(float[] s, int at, int lkp) {
        FloatVector mv = FloatVector.fromArray(SPECIES, s, at);
        for (int j = V; j < lkp; j += V) mv = mv.max(FloatVector.fromArray(SPECIES, s, at + j));
        return mv.reduceLanes(VectorOperators.MAX);
    }

    /** s ← exp(s − m) over whole vectors. */
    private static void expRow(float[] s, int at, int lkp, float m) {
        for (int j = 0; j < lkp; j += V) VectorMath.exp(FloatVector.fromArray(SPECIES, s, at + j).sub(m)).intoArray(s, at + j);
    }

    /** Σ s[at .. at+lkp): lane-wise over the vectors in order, then {@link VectorMath#sum}. */
    private static float rowSum(float[] s, int at, int lkp) {
        FloatVector lv = FloatVector.zero(SPECIES);
        for (int j = 0; j < lkp; j += V) lv = lv.add(FloatVector.fromArray(SPECIES, s, at + j));
        return VectorMath.sum(lv);
    }

    /** p ← exp(p − lse) (0 on the padding, set to −∞ first); ds ← p·(ds − di). Both rows start at {@code at}. */
    private static void probsAndDs(float[] p, float[] ds, int at, int lk, int lkp, float lse, float di) {
        java.util.Arrays.fill(p, at + lk, at + lkp, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < lkp; j += V) {
            FloatVector pv = VectorMath.exp(FloatVector.fromArray(SPECIES, p, at + j).sub(lse));
            pv.intoArray(p, at + j);
            pv.mul(FloatVector.fromArray(SPECIES, ds, at + j).sub(di)).intoArray(ds, at + j);
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
     * Blocks of four rows × two vectors of C ({@link #block4x2}: eight independent FMA chains, as two FMA ports
     * × four cycles of latency need; each B vector shared by four rows, each broadcast A scalar by two vectors),
     * then four rows × one vector, single rows, and scalar columns past the last full vector. Each block is its
     * own small method on arrays and indices: C2 compiles it with every Vector API call inlined, where one large
     * method ran out of its inlining budget and left a vector-taking helper out of line, boxing a vector per call
     * (PrintInlining: "NodeCountInliningCutoff"). Every element of C is the same chain fma(b_p, a_p, ·) over
     * p = 0, 1, … from zero, times alpha, plus C when accumulating, whichever block computes it, so the blocking
     * (and the thread that runs a head) never changes a bit of the result.
     */
    static void mm(int rows, int n, int kk, float alpha, float[] a, int ao, int ars, int aps,
                   float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean accumulate) {
        int nv = n / V * V, nv2 = n / (2 * V) * (2 * V);
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int a0 = ao + r * ars, c0 = co + r * ldc;
            int col = 0;
            for (; col < nv2; col += 2 * V) block4x2(kk, alpha, a, a0, ars, aps, b, bo + col, ldb, c, c0 + col, ldc, accumulate);
            for (; col < nv; col += V) block4x1(kk, alpha, a, a0, ars, aps, b, bo + col, ldb, c, c0 + col, ldc, accumulate);
            for (col = nv; col < n; col++) {
                for (int i = 0; i < 4; i++) {
                    scalarCell(kk, alpha, a, a0 + i * ars, aps, b, bo + col, ldb, c, c0 + i * ldc + col, accumulate);
                }
            }
        }
        for (; r < rows; r++) {
            int a0 = ao + r * ars, c0 = co + r * ldc;
            for (int col = 0; col < nv; col += V) block1x1(kk, alpha, a, a0, aps, b, bo + col, ldb, c, c0 + col, accumulate);
            for (int col = nv; col < n; col++) scalarCell(kk, alpha, a, a0, aps, b, bo + col, ldb, c, c0 + col, accumulate);
        }
    }

    /** Rows a0, a0 + ars, … (four) of A times columns [bo, bo + 2V) of B into C at c0 (row stride ldc). */
    private static void block4x2(int kk, float alpha, float[] a, int a0, int ars, int aps, float[] b, int bo, int ldb,
                                 float[] c, int c0, int ldc, boolean accumulate) {
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
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        s0 = s0.mul(alpha);
        t0 = t0.mul(alpha);
        s1 = s1.mul(alpha);
        t1 = t1.mul(alpha);
        s2 = s2.mul(alpha);
        t2 = t2.mul(alpha);
        s3 = s3.mul(alpha);
        t3 = t3.mul(alpha);
        if (accumulate) {
            s0 = s0.add(FloatVector.fromArray(SPECIES, c, c0));
            t0 = t0.add(FloatVector.fromArray(SPECIES, c, c0 + V));
            s1 = s1.add(FloatVector.fromArray(SPECIES, c, c1));
            t1 = t1.add(FloatVector.fromArray(SPECIES, c, c1 + V));
            s2 = s2.add(FloatVector.fromArray(SPECIES, c, c2));
            t2 = t2.add(FloatVector.fromArray(SPECIES, c, c2 + V));
            s3 = s3.add(FloatVector.fromArray(SPECIES, c, c3));
            t3 = t3.add(FloatVector.fromArray(SPECIES, c, c3 + V));
        }
        s0.intoArray(c, c0);
        t0.intoArray(c, c0 + V);
        s1.intoArray(c, c1);
        t1.intoArray(c, c1 + V);
        s2.intoArray(c, c2);
        t2.intoArray(c, c2 + V);
        s3.intoArray(c, c3);
        t3.intoArray(c, c3 + V);
    }

    /** Four rows of A times columns [bo, bo + V) of B into C at c0. */
    private static void block4x1(int kk, float alpha, float[] a, int a0, int ars, int aps, float[] b, int bo, int ldb,
                                 float[] c, int c0, int ldc, boolean accumulate) {
        int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
        for (int p = 0, ap = 0, bp = bo; p < kk; p++, ap += aps, bp += ldb) {
            FloatVector bv = FloatVector.fromArray(SPECIES, b, bp);
            s0 = bv.fma(FloatVector.broadcast(SPECIES, a[a0 + ap]), s0);
            s1 = bv.fma(FloatVector.broadcast(SPECIES, a[a1 + ap]), s1);
            s2 = bv.fma(FloatVector.broadcast(SPECIES, a[a2 + ap]), s2);
            s3 = bv.fma(FloatVector.broadcast(SPECIES, a[a3 + ap]), s3);
        }
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        s0 = s0.mul(alpha);
        s1 = s1.mul(alpha);
        s2 = s2.mul(alpha);
        s3 = s3.mul(alpha);
        if (accumulate) {
            s0 = s0.add(FloatVector.fromArray(SPECIES, c, c0));
            s1 = s1.add(FloatVector.fromArray(SPECIES, c, c1));
            s2 = s2.add(FloatVector.fromArray(SPECIES, c, c2));
            s3 = s3.add(FloatVector.fromArray(SPECIES, c, c3));
        }
        s0.intoArray(c, c0);
        s1.intoArray(c, c1);
        s2.intoArray(c, c2);
        s3.intoArray(c, c3);
    }

    /** One row of A times columns [bo, bo + V) of B into C at c0. */
    private static void block1x1(int kk, float alpha, float[] a, int a0, int aps, float[] b, int bo, int ldb,
                                 float[] c, int c0, boolean accumulate) {
        FloatVector s0 = FloatVector.zero(SPECIES);
        for (int p = 0, ap = 0, bp = bo; p < kk; p++, ap += aps, bp += ldb) {
            s0 = FloatVector.fromArray(SPECIES, b, bp).fma(FloatVector.broadcast(SPECIES, a[a0 + ap]), s0);
        }
        s0 = s0.mul(alpha);
        if (accumulate) s0 = s0.add(FloatVector.fromArray(SPECIES, c, c0));
        s0.intoArray(c, c0);
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
