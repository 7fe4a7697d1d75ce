package dev.tessera.engine.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Global gradient-norm clipping, the CPU reference for {@code GradClipCuda} (torch.nn.utils.clip_grad_norm_):
 * total = ‖g‖₂; if total is finite and coef = maxNorm/(total + 1e-6) &lt; 1, g ← (float) coef · g. The norm is written,
 * never returned, so a device backend can keep it on the device.
 *
 * <p>The sum of squares: each square in float (as {@code UnaryOp.SQUARE} computes it); each chunk of {@link #CHUNK}
 * elements summed in double into {@link #LANES} interleaved partial sums (element i into lane i mod 32, in index
 * order), the lanes added in order and rounded to float; the chunk sums added in order in double. The chunks and
 * lanes depend only on the element index, so the norm is the same bits for any thread count, vector width and JIT
 * tier (the scalar loop {@link #chunkSumScalar} keeps the same 32 lanes). Why lanes: one running double sum is a
 * chain of dependent additions, four cycles each; over CAE-B's 143 M gradients that chain took ≈ 50 ms of a 3 s
 * step (JFR, 2026-12-07), where the interleaved sums run at the speed memory delivers the gradients. The result
 * differs from one running sum only in double rounding (≈ 1e-13 relative for a chunk, 1e-10 at the very worst), far
 * below the float it is rounded to: it is the norm the engine's primitives compute ({@code Norms}: square, then
 * one-axis double sums) but for, rarely, the last bit of a chunk sum.
 */
public final class GradClipCpu {
    private GradClipCpu() {}

    /** Elements per partial sum. */
    public static final int CHUNK = 1 << 20;

    /** Interleaved double partial sums per chunk. */
    static final int LANES = 32;

    /** Writes ‖g‖₂ (before clipping) to {@code norm[no]} and clips g in place. */
    public static void clip(Parallel par, float[] g, int go, int n, float maxNorm, float[] norm, int no) {
        double t = Math.sqrt((float) sumOfSquares(par, g, go, n, CpuBackend.FAST));
        norm[no] = (float) t;
        double coef = maxNorm / (t + 1e-6);
        if (Double.isFinite(t) && coef < 1) {
            float c = (float) coef;
            par.forRange(n, 1 << 16, (from, to) -> {
                for (int i = from; i < to; i++) g[go + i] = c * g[go + i];
            });
        }
    }

    /** Σ g² as described above: chunk sums in float, added in chunk order in double; {@code vector} picks the loop. */
    static double sumOfSquares(Parallel par, float[] g, int go, int n, boolean vector) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        float[] partial = new float[chunks];
        par.forRange(chunks, 1, (from, to) -> {
            for (int c = from; c < to; c++) {
                int at = go + c * CHUNK, len = Math.min(CHUNK, n - c * CHUNK);
                partial[c] = (float) (vector ? Lanes.chunkSum(g, at, len) : chunkSumScalar(g, at, len, new double[LANES], 0));
            }
        });
        double total = 0;
        for (float p : partial) total += p;
        return total;
    }

    /**
     * Elements [from, len) of the chunk at g[at …] added into the 32 lane sums (element i into lane i mod 32), then
     * the lanes added in order: the definition, and the vector loop's tail.
     */
    static double chunkSumScalar(float[] g, int at, int len, double[] lanes, int from) {
        for (int i = from; i < len; i++) {
            float x = g[at + i];
            lanes[i & (LANES - 1)] += x * x;
        }
        double s = 0;
        for (double l : lanes) s += l;
        return s;
    }

    /**
     * The vector loop, in its own class so that it is only initialised on the fast path ({@code -Dtessera.cpu.scalar=true}
     * may run without the incubator module). With 512-bit vectors, 32 elements are two float vectors whose squares
     * widen into four double vectors of eight: lanes 0–7, 8–15, 16–23, 24–31, four independent sums. Other widths run
     * the scalar loop (the same lanes, the same bits).
     */
    private static final class Lanes {
        private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_512;
        private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_512;
        private static final boolean NATIVE = SgemmVector.SPECIES.vectorBitSize() >= 512;
        /** Floats per vector: lanes 0–15, then 16–31. */
        private static final int HALF = LANES / 2;

        static double chunkSum(float[] g, int at, int len) {
            double[] lanes = new double[LANES];
            if (!NATIVE) return chunkSumScalar(g, at, len, lanes, 0);
            DoubleVector s0 = DoubleVector.zero(DOUBLES), s1 = s0, s2 = s0, s3 = s0;
            int end = len / LANES * LANES;
            for (int i = 0; i < end; i += LANES) {
                FloatVector a = FloatVector.fromArray(FLOATS, g, at + i), b = FloatVector.fromArray(FLOATS, g, at + i + HALF);
                a = a.mul(a);
                b = b.mul(b);
                s0 = s0.add(a.convertShape(VectorOperators.F2D, DOUBLES, 0));
                s1 = s1.add(a.convertShape(VectorOperators.F2D, DOUBLES, 1));
                s2 = s2.add(b.convertShape(VectorOperators.F2D, DOUBLES, 0));
                s3 = s3.add(b.convertShape(VectorOperators.F2D, DOUBLES, 1));
            }
            s0.intoArray(lanes, 0);
            s1.intoArray(lanes, 8);
            s2.intoArray(lanes, 16);
            s3.intoArray(lanes, 24);
            return chunkSumScalar(g, at, len, lanes, end);
        }
    }
}
