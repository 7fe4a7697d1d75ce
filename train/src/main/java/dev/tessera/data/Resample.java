package dev.tessera.data;

import java.util.Arrays;

/**
 * Bicubic resizing, following Pillow's {@code Image.resize(size, BICUBIC)} (libImaging/Resample.c): a separable
 * Keys cubic with a = −0.5, whose support widens by the scale factor when shrinking, so downscaling averages
 * over the source pixels it covers instead of aliasing (the "antialias" torchvision gets from PIL). torchvision's
 * RandomResizedCrop and MAE's eval Resize run on PIL images, so this is the filter their numbers were made with.
 * We compute in float, without Pillow's 8-bit rounding between the two passes (a difference of at most about
 * one grey level); Java2D's bicubic was not used because it neither widens its support when shrinking nor
 * behaves the same for grey and colour images.
 *
 * <p>Pixels outside the image are never read: each output pixel's weights are cut at the border and
 * renormalised, as Pillow does.
 */
final class Resample {
    private Resample() {}

    private static final double SUPPORT = 2.0;

    /** Keys' cubic convolution kernel with a = −0.5 (Pillow's bicubic_filter). */
    static double bicubic(double x) {
        final double a = -0.5;
        x = Math.abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /** Resizes the whole image to outH×outW. */
    static PlanarImage resize(PlanarImage src, int outH, int outW) {
        if (outH <= 0 || outW <= 0) throw new IllegalArgumentException("resize target must be positive, got " + outH + "x" + outW);
        if (outH == src.height() && outW == src.width()) return src;
        int c = src.channels(), inH = src.height(), inW = src.width();
        // Horizontal pass: [C, inH, inW] -> [C, inH, outW].
        Taps tx = taps(inW, outW);
        float[] mid = new float[c * inH * outW];
        float[] in = src.data();
        for (int row = 0; row < c * inH; row++) {
            int inBase = row * inW, outBase = row * outW;
            for (int x = 0; x < outW; x++) {
                double s = 0;
                int k0 = x * tx.kmax;
                for (int k = 0; k < tx.count[x]; k++) s += in[inBase + tx.first[x] + k] * tx.weight[k0 + k];
                mid[outBase + x] = (float) s;
            }
        }
        // Vertical pass: [C, inH, outW] -> [C, outH, outW]. Rows are accumulated whole so that memory is read
        // contiguously (a per-pixel loop over taps would stride by a row per tap).
        Taps ty = taps(inH, outH);
        float[] out = new float[c * outH * outW];
        double[] acc = new double[outW];
        for (int ch = 0; ch < c; ch++) {
            int midPlane = ch * inH * outW, outPlane = ch * outH * outW;
            for (int y = 0; y < outH; y++) {
                Arrays.fill(acc, 0);
                int k0 = y * ty.kmax;
                for (int k = 0; k < ty.count[y]; k++) {
                    double wgt = ty.weight[k0 + k];
                    int row = midPlane + (ty.first[y] + k) * outW;
                    for (int x = 0; x < outW; x++) acc[x] += mid[row + x] * wgt;
                }
                for (int x = 0; x < outW; x++) out[outPlane + y * outW + x] = (float) acc[x];
            }
        }
        return new PlanarImage(out, c, outH, outW);
    }

    /** For each output index: the first input index, how many inputs it reads, and their normalised weights. */
    private record Taps(int[] first, int[] count, double[] weight, int kmax) {}

    // Pillow's precompute_coeffs with box = [0, inSize).
    private static Taps taps(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = SUPPORT * filterScale;
        int kmax = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[outSize], count = new int[outSize];
        double[] weight = new double[outSize * kmax];
        for (int i = 0; i < outSize; i++) {
            double center = (i + 0.5) * scale;
            int lo = Math.max((int) (center - support + 0.5), 0);
            int hi = Math.min((int) (center + support + 0.5), inSize);
            double sum = 0;
            for (int k = 0; k < hi - lo; k++) {
                double wgt = bicubic((k + lo - center + 0.5) / filterScale);
                weight[i * kmax + k] = wgt;
                sum += wgt;
            }
            if (sum != 0) for (int k = 0; k < hi - lo; k++) weight[i * kmax + k] /= sum;
            first[i] = lo;
            count[i] = hi - lo;
        }
        return new Taps(first, count, weight, kmax);
    }
}
