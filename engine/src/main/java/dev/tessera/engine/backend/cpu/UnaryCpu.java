package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.UnaryOp;

/**
 * The CPU kernel for {@code Backend.unary}: out[i] = op(x[i], p). {@link UnaryOp#apply} is the definition;
 * here the op is switched on once per call, not once per element, so each loop body is one expression the
 * JIT can vectorise, and GELU goes to its vector kernel ({@link GeluCpu}, float erf, documented error).
 * Ops whose Java math call cannot be vectorised (exp, log, tanh, pow) keep the per-element definition.
 */
final class UnaryCpu {
    private UnaryCpu() {}

    private static final int GRAIN = 16384;

    static void apply(Parallel par, UnaryOp op, float p, float[] x, int xo, float[] y, int yo, int n, boolean fast) {
        if (op == UnaryOp.GELU && fast) {
            GeluCpu.forward(par, x, xo, y, yo, n);
            return;
        }
        par.forRange(n, GRAIN, (from, to) -> {
            switch (op) {
                case NEG -> { for (int j = from; j < to; j++) y[yo + j] = -x[xo + j]; }
                case RELU -> { for (int j = from; j < to; j++) y[yo + j] = x[xo + j] > 0 ? x[xo + j] : 0f; }
                case RECIPROCAL -> { for (int j = from; j < to; j++) y[yo + j] = 1f / x[xo + j]; }
                case SQUARE -> { for (int j = from; j < to; j++) y[yo + j] = x[xo + j] * x[xo + j]; }
                case SCALE -> { for (int j = from; j < to; j++) y[yo + j] = p * x[xo + j]; }
                case ADD_SCALAR -> { for (int j = from; j < to; j++) y[yo + j] = x[xo + j] + p; }
                case SQRT -> { for (int j = from; j < to; j++) y[yo + j] = (float) Math.sqrt(x[xo + j]); }
                default -> { for (int j = from; j < to; j++) y[yo + j] = op.apply(x[xo + j], p); }
            }
        });
    }
}
