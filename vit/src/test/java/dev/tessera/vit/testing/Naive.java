package dev.tessera.vit.testing;

import dev.tessera.engine.backend.Erf;

/**
 * Plain double-precision loops for the ViT pieces, written from the formulas of docs/vit.md#block and not from the
 * model code: the oracle the module tests compare against. Arrays are row-major; x is [rows, cols].
 */
public final class Naive {
    private Naive() {}

    /** y[r, o] = Σ_i x[r, i]·w[o, i] + b[o] (torch.nn.Linear); b may be null. */
    public static double[] linear(double[] x, int rows, int in, float[] w, float[] b, int out) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) s += x[r * in + i] * w[o * in + i];
                y[r * out + o] = s;
            }
        return y;
    }

    /** Per-row layer norm with the biased variance. */
    public static double[] layerNorm(double[] x, int rows, int cols, float[] w, float[] b, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mu = 0, var = 0;
            for (int c = 0; c < cols; c++) mu += x[r * cols + c];
            mu /= cols;
            for (int c = 0; c < cols; c++) var += (x[r * cols + c] - mu) * (x[r * cols + c] - mu);
            var /= cols;
            for (int c = 0; c < cols; c++) y[r * cols + c] = (x[r * cols + c] - mu) / Math.sqrt(var + eps) * w[c] + b[c];
        }
        return y;
    }

    public static double[] gelu(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = 0.5 * x[i] * (1 + Erf.erf(x[i] / Math.sqrt(2)));
        return y;
    }

    /**
     * Multi-head self-attention of one sequence x [t, d] given the fused qkv output [t, 3d] laid out
     * [q | k | v], head h owning columns h·dh … (h+1)·dh−1 of each third. Returns the concatenated heads [t, d].
     */
    public static double[] attentionHeads(double[] qkv, int t, int d, int heads) {
        int dh = d / heads;
        double scale = Math.pow(dh, -0.5);
        double[] out = new double[t * d];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < t; i++) {
                double[] s = new double[t];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    double dot = 0;
                    for (int c = 0; c < dh; c++) dot += qkv[i * 3 * d + h * dh + c] * qkv[j * 3 * d + d + h * dh + c];
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < t; j++) z += s[j] = Math.exp(s[j] - max);
                for (int c = 0; c < dh; c++) {
                    double acc = 0;
                    for (int j = 0; j < t; j++) acc += s[j] / z * qkv[j * 3 * d + 2 * d + h * dh + c];
                    out[i * d + h * dh + c] = acc;
                }
            }
        return out;
    }

    public static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    public static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
