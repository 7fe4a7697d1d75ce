package dev.tessera.data;

/**
 * Pillow's {@code Image.resize(size, Image.LANCZOS)} on 8-bit images, to the sample (libImaging/Resample.c): the view
 * CAE and BEiT feed the DALL-E tokenizer is {@code F.resized_crop(img, …, 112, interpolation=LANCZOS)} of a PIL
 * image (their {@code RandomResizedCropAndInterpolationWithTwoPic}), and the tokenizer's argmax can flip on one grey
 * level, so this follows Pillow exactly rather than approximately:
 * <ul>
 *   <li>the kernel is sinc(x)·sinc(x/3) on [−3, 3); when shrinking its support widens by the scale factor
 *       (antialiasing), and each output pixel's taps are cut at the border and renormalised to sum 1;</li>
 *   <li>tap weights become fixed-point integers with 22 fraction bits ({@code PRECISION_BITS = 32 − 8 − 2}), rounded
 *       half away from zero;</li>
 *   <li>the horizontal pass runs first and its result is rounded (half up) and clipped to 0…255 before the vertical
 *       pass, as Pillow's two 8-bit passes do.</li>
 * </ul>
 * {@code LanczosTest} compares every sample with Pillow 9.4's output ({@code tests/golden/make_dalle.py}).
 */
public final class Lanczos {
    private Lanczos() {}

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 3.0;

    /** Pillow's lanczos_filter: the 3-lobe windowed sinc. */
    static double kernel(double x) {
        if (-SUPPORT <= x && x < SUPPORT) return sinc(x) * sinc(x / SUPPORT);
        return 0.0;
    }

    private static double sinc(double x) {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.sin(x) / x;
    }

    /** For each output pixel: its first source pixel, its tap count, and fixed-point weights (precompute_coeffs). */
    private record Taps(int[] first, int[] count, int[] weight, int width) {}

    private static Taps taps(int inSize, int outSize) {
        double scale = (double) inSize / outSize, filterScale = Math.max(scale, 1.0);
        double support = SUPPORT * filterScale;
        int width = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[outSize], count = new int[outSize], weight = new int[outSize * width];
        double[] k = new double[width];
        for (int o = 0; o < outSize; o++) {
            double center = (o + 0.5) * scale, ss = 1.0 / filterScale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double sum = 0;
            for (int x = 0; x < xmax; x++) {
                k[x] = kernel((x + xmin - center + 0.5) * ss);
                sum += k[x];
            }
            for (int x = 0; x < xmax; x++) {
                double w = sum != 0.0 ? k[x] / sum : k[x];
                weight[o * width + x] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
            }
            first[o] = xmin;
            count[o] = xmax;
        }
        return new Taps(first, count, weight, width);
    }

    /** Rounds a fixed-point sum (which already holds the ½ of rounding) to 0…255: Pillow's clip8. */
    private static int clip8(int acc) {
        if (acc >= (1 << PRECISION_BITS << 8)) return 255;
        if (acc <= 0) return 0;
        return acc >> PRECISION_BITS;
    }

    /**
     * Resizes planar 8-bit samples {@code src [C, inH, inW]} (each 0…255) to {@code [C, outH, outW]}.
     */
    public static int[] resize(int[] src, int channels, int inH, int inW, int outH, int outW) {
        if (outH <= 0 || outW <= 0 || inH <= 0 || inW <= 0) {
            throw new IllegalArgumentException("Lanczos resize from " + inH + "x" + inW + " to " + outH + "x" + outW + ": sizes must be positive");
        }
        if (src.length != channels * inH * inW) {
            throw new IllegalArgumentException("Lanczos resize: " + src.length + " samples for " + channels + "x" + inH + "x" + inW);
        }
        Taps tx = taps(inW, outW), ty = taps(inH, outH);
        int half = 1 << (PRECISION_BITS - 1);
        int[] mid = new int[channels * inH * outW];
        for (int row = 0; row < channels * inH; row++) {
            for (int x = 0; x < outW; x++) {
                int acc = half, at = row * inW + tx.first[x], k0 = x * tx.width;
                for (int t = 0; t < tx.count[x]; t++) acc += src[at + t] * tx.weight[k0 + t];
                mid[row * outW + x] = clip8(acc);
            }
        }
        int[] out = new int[channels * outH * outW];
        for (int c = 0; c < channels; c++) {
            int plane = c * inH * outW;
            for (int y = 0; y < outH; y++) {
                int k0 = y * ty.width;
                for (int x = 0; x < outW; x++) {
                    int acc = half, at = plane + ty.first[y] * outW + x;
                    for (int t = 0; t < ty.count[y]; t++) acc += mid[at + t * outW] * ty.weight[k0 + t];
                    out[(c * outH + y) * outW + x] = clip8(acc);
                }
            }
        }
        return out;
    }

    /**
     * The same on an image of floats in [0, 1]: quantised to 8 bits first (round half up, clamped), as the PIL image
     * the official pipeline resizes is, and returned as samples/255 (torchvision's ToTensor).
     */
    public static PlanarImage resize(PlanarImage src, int outH, int outW) {
        float[] d = src.data();
        int[] q = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            float v = d[i] * 255f + 0.5f;
            q[i] = v <= 0 ? 0 : v >= 255 ? 255 : (int) v;
        }
        int[] r = resize(q, src.channels(), src.height(), src.width(), outH, outW);
        float[] out = new float[r.length];
        for (int i = 0; i < r.length; i++) out[i] = r[i] / 255f;
        return new PlanarImage(out, src.channels(), outH, outW);
    }
}
