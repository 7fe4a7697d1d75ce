package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.ReduceOp;

/**
 * CPU reference of the one-axis reductions over a [outer, length, inner] view. Sums accumulate in double so
 * the reference is more accurate than any float kernel it is compared against.
 */
final class ReduceCpu {
    private ReduceCpu() {}

    static void reduce(Parallel par, ReduceOp op, float[] x, int xo, int outer, int length, int inner,
                       float[] out, int oo) {
        par.forRange(outer * inner, Math.max(1, 4096 / Math.max(1, length)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r / inner, i = r % inner, base = xo + o * length * inner + i;
                if (op == ReduceOp.SUM) {
                    double s = 0;
                    for (int k = 0; k < length; k++) s += x[base + k * inner];
                    out[oo + r] = (float) s;
                } else {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int k = 0; k < length; k++) m = Math.max(m, x[base + k * inner]);
                    out[oo + r] = m;
                }
            }
        });
    }

    static void argmax(float[] x, int xo, int outer, int length, int inner, int[] out, int oo) {
        for (int r = 0; r < outer * inner; r++) {
            int o = r / inner, i = r % inner, base = xo + o * length * inner + i;
            int best = 0;
            float m = x[base];
            for (int k = 1; k < length; k++) {
                float v = x[base + k * inner];
                if (v > m || (Float.isNaN(v) && !Float.isNaN(m))) {
                    m = v;
                    best = k;
                }
            }
            out[oo + r] = best;
        }
    }
}
