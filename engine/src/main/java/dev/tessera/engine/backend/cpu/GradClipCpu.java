package dev.tessera.engine.backend.cpu;

/**
 * Global gradient-norm clipping, the CPU reference for {@code GradClipCuda} (torch.nn.utils.clip_grad_norm_):
 * total = ‖g‖₂; if total is finite and coef = maxNorm/(total + 1e-6) &lt; 1, g ← (float) coef · g. The norm is written,
 * never returned, so a device backend can keep it on the device.
 *
 * <p>The sum of squares is taken as the engine's primitives took it before this op existed (square in float, each
 * chunk of {@link #CHUNK} summed in double and rounded to float, the chunk sums summed the same way), so the
 * trainer's clipping is numerically what it was.
 */
public final class GradClipCpu {
    private GradClipCpu() {}

    /** Elements per partial sum. */
    public static final int CHUNK = 1 << 20;

    /** Writes ‖g‖₂ (before clipping) to {@code norm[no]} and clips g in place. */
    public static void clip(Parallel par, float[] g, int go, int n, float maxNorm, float[] norm, int no) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        float[] partial = new float[chunks];
        par.forRange(chunks, 1, (from, to) -> {
            for (int c = from; c < to; c++) {
                double s = 0;
                for (int i = c * CHUNK, end = Math.min(n, i + CHUNK); i < end; i++) {
                    float x = g[go + i];
                    s += x * x;
                }
                partial[c] = (float) s;
            }
        });
        double total = 0;
        for (float p : partial) total += p;
        double t = Math.sqrt((float) total);
        norm[no] = (float) t;
        double coef = maxNorm / (t + 1e-6);
        if (Double.isFinite(t) && coef < 1) {
            float c = (float) coef;
            par.forRange(n, 1 << 16, (from, to) -> {
                for (int i = from; i < to; i++) g[go + i] = c * g[go + i];
            });
        }
    }
}
