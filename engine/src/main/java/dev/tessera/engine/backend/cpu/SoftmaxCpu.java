package dev.tessera.engine.backend.cpu;

/**
 * Row-wise softmax and log-softmax, the CPU reference for {@code SoftmaxCuda}. The row maximum is subtracted
 * first so exp never overflows. Backward, with y the forward output:
 * softmax: dx = y·(dy − Σ dy·y);  log-softmax: dx = dy − exp(y)·Σ dy.
 */
public final class SoftmaxCpu {
    private SoftmaxCpu() {}

    public static void forward(Parallel par, float[] x, int xo, float[] y, int yo, int rows, int cols, boolean log) {
        par.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * cols;
                float m = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) m = Math.max(m, x[xo + base + c]);
                double s = 0;
                for (int c = 0; c < cols; c++) s += Math.exp(x[xo + base + c] - m);
                if (log) {
                    double lse = m + Math.log(s);
                    for (int c = 0; c < cols; c++) y[yo + base + c] = (float) (x[xo + base + c] - lse);
                } else {
                    for (int c = 0; c < cols; c++) y[yo + base + c] = (float) (Math.exp(x[xo + base + c] - m) / s);
                }
            }
        });
    }

    /** Accumulates into dx. */
    public static void backward(Parallel par, float[] dy, int dyo, float[] y, int yo, float[] dx, int dxo,
                                int rows, int cols, boolean log) {
        par.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * cols;
                double s = 0;
                if (log) {
                    for (int c = 0; c < cols; c++) s += dy[dyo + base + c];
                    for (int c = 0; c < cols; c++) {
                        dx[dxo + base + c] += (float) (dy[dyo + base + c] - Math.exp(y[yo + base + c]) * s);
                    }
                } else {
                    for (int c = 0; c < cols; c++) s += (double) dy[dyo + base + c] * y[yo + base + c];
                    for (int c = 0; c < cols; c++) {
                        dx[dxo + base + c] += (float) (y[yo + base + c] * (dy[dyo + base + c] - s));
                    }
                }
            }
        });
    }
}
