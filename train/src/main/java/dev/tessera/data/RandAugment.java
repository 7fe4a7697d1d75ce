package dev.tessera.data;

import java.util.random.RandomGenerator;

/**
 * RandAugment (Cubuk et al. 2020) as timm's {@code rand-m9-mstd0.5-inc1}, the policy of MAE's fine-tuning
 * (docs/mae.md#fine-tuning): for each image, {@code layers} operations drawn uniformly with replacement from the 15 below, each
 * applied with probability {@code prob} at a magnitude drawn from N(magnitude, magnitudeStd²) clipped to [0, 10].
 * "inc1" is timm's increasing variant: for every operation a higher magnitude means a stronger change.
 *
 * <p>Pixels are planes in [0, 1]. The point operations that PIL defines on 8-bit levels (posterize, solarize,
 * equalize) read and write levels round(255·x); the blends (colour, contrast, brightness, sharpness) work in floats
 * and clip to [0, 1] as PIL's uint8 blends clip; geometric operations sample bilinearly and fill with the ImageNet
 * mean colour (timm's {@code img_mean}). With m = magnitude / 10:
 * <pre>
 *   AutoContrast, Equalize, Invert                      no magnitude
 *   Rotate           ±30·m degrees about the centre      Posterize      keep 4 − ⌊4m⌋ bits
 *   Solarize         invert levels ≥ 256 − ⌊256m⌋        SolarizeAdd    levels &lt; 128 get +⌊110m⌋
 *   Color, Contrast, Brightness, Sharpness   blend factor 1 ± 0.9·m (PIL's ImageEnhance)
 *   ShearX, ShearY   ±0.3·m                              TranslateX/Y   ±0.45·m of the width / height
 * </pre>
 * Signs (±) are drawn with probability ½ each.
 */
public record RandAugment(int layers, double magnitude, double magnitudeStd, double prob) implements ImageTransform {

    /** The operations, in timm's _RAND_INCREASING_TRANSFORMS order. */
    enum Op { AUTO_CONTRAST, EQUALIZE, INVERT, ROTATE, POSTERIZE, SOLARIZE, SOLARIZE_ADD, COLOR, CONTRAST, BRIGHTNESS, SHARPNESS,
        SHEAR_X, SHEAR_Y, TRANSLATE_X, TRANSLATE_Y }

    /** ImageNet's mean colour, the fill of rotated, sheared and translated borders (grey images: its luma). */
    static final float[] FILL_RGB = {0.485f, 0.456f, 0.406f};
    static final float FILL_GREY = 0.299f * 0.485f + 0.587f * 0.456f + 0.114f * 0.406f;

    public RandAugment {
        if (layers < 0) throw new IllegalArgumentException("RandAugment layers must be >= 0, got " + layers);
        if (!(magnitude >= 0 && magnitude <= 10)) throw new IllegalArgumentException("RandAugment magnitude must be in [0, 10], got " + magnitude);
        if (!(magnitudeStd >= 0)) throw new IllegalArgumentException("RandAugment magnitude std must be >= 0, got " + magnitudeStd);
        if (!(prob >= 0 && prob <= 1)) throw new IllegalArgumentException("RandAugment probability must be in [0, 1], got " + prob);
    }

    /** rand-m9-mstd0.5-inc1: two operations, magnitude 9 ± 0.5, each applied with probability ½. */
    public static RandAugment mae() {
        return new RandAugment(2, 9, 0.5, 0.5);
    }

    @Override
    public int size() {
        return -1;
    }

    @Override
    public PlanarImage apply(PlanarImage src, RandomGenerator rng) {
        PlanarImage img = src;
        Op[] ops = Op.values();
        for (int i = 0; i < layers; i++) {
            Op op = ops[rng.nextInt(ops.length)];
            if (rng.nextDouble() >= prob) continue;
            double m = magnitudeStd > 0 ? magnitude + magnitudeStd * rng.nextGaussian() : magnitude;
            img = apply(op, img, Math.max(0, Math.min(10, m)) / 10, rng);
        }
        return img;
    }

    /** One operation at level m ∈ [0, 1] (magnitude / 10). */
    static PlanarImage apply(Op op, PlanarImage img, double m, RandomGenerator rng) {
        return switch (op) {
            case AUTO_CONTRAST -> autoContrast(img);
            case EQUALIZE -> equalize(img);
            case INVERT -> map(img, v -> 255 - v);
            case ROTATE -> rotate(img, signed(30 * m, rng));
            case POSTERIZE -> posterize(img, 4 - (int) (4 * m));
            case SOLARIZE -> solarize(img, 256 - (int) (256 * m));
            case SOLARIZE_ADD -> {
                int add = (int) (110 * m);
                yield map(img, v -> v < 128 ? Math.min(255, v + add) : v);
            }
            case COLOR -> blend(grey(img), img, 1 + signed(0.9 * m, rng));
            case CONTRAST -> blend(constant(img, meanLuma(img)), img, 1 + signed(0.9 * m, rng));
            case BRIGHTNESS -> blend(constant(img, 0), img, 1 + signed(0.9 * m, rng));
            case SHARPNESS -> blend(smooth(img), img, 1 + signed(0.9 * m, rng));
            case SHEAR_X -> affine(img, 1, signed(0.3 * m, rng), 0, 0, 1, 0);
            case SHEAR_Y -> affine(img, 1, 0, 0, signed(0.3 * m, rng), 1, 0);
            case TRANSLATE_X -> affine(img, 1, 0, signed(0.45 * m, rng) * img.width(), 0, 1, 0);
            case TRANSLATE_Y -> affine(img, 1, 0, 0, 0, 1, signed(0.45 * m, rng) * img.height());
        };
    }

    private static double signed(double v, RandomGenerator rng) {
        return rng.nextDouble() < 0.5 ? -v : v;
    }

    // ---------------------------------------------------------------- 8-bit point operations

    private interface LevelMap {
        int apply(int level);
    }

    private static int level(float x) {
        return Math.max(0, Math.min(255, Math.round(x * 255)));
    }

    private static PlanarImage map(PlanarImage img, LevelMap f) {
        float[] out = new float[img.data().length];
        for (int i = 0; i < out.length; i++) out[i] = f.apply(level(img.data()[i])) / 255f;
        return new PlanarImage(out, img.channels(), img.height(), img.width());
    }

    /** PIL's posterize: keep the top {@code bits} bits of each level (8 or more: unchanged). */
    static PlanarImage posterize(PlanarImage img, int bits) {
        if (bits >= 8) return img;
        int mask = ~((1 << (8 - bits)) - 1) & 0xff;
        return map(img, v -> v & mask);
    }

    /** PIL's solarize: invert every level at or above the threshold. */
    static PlanarImage solarize(PlanarImage img, int threshold) {
        return map(img, v -> v >= threshold ? 255 - v : v);
    }

    /** PIL's autocontrast (no cutoff): each channel's darkest level to 0 and brightest to 1, linearly. */
    static PlanarImage autoContrast(PlanarImage img) {
        int hw = img.height() * img.width();
        float[] out = img.data().clone();
        for (int c = 0; c < img.channels(); c++) {
            int lo = 255, hi = 0;
            for (int i = 0; i < hw; i++) {
                int v = level(out[c * hw + i]);
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            if (hi <= lo) continue;
            for (int i = 0; i < hw; i++) out[c * hw + i] = Math.max(0, Math.min(255, (level(out[c * hw + i]) - lo) * 255f / (hi - lo))) / 255f;
        }
        return new PlanarImage(out, img.channels(), img.height(), img.width());
    }

    /**
     * PIL's equalize, channel by channel: the level histogram h, step = (Σh − h[last used level]) / 255 (integer
     * division), lut[i] = (step/2 + Σ_{j<i} h[j]) / step; a channel with step 0 is left alone.
     */
    static PlanarImage equalize(PlanarImage img) {
        int hw = img.height() * img.width();
        float[] out = img.data().clone();
        for (int c = 0; c < img.channels(); c++) {
            int[] h = new int[256];
            for (int i = 0; i < hw; i++) h[level(out[c * hw + i])]++;
            int last = 255;
            while (last > 0 && h[last] == 0) last--;
            int step = (hw - h[last]) / 255;
            if (step == 0) continue;
            int[] lut = new int[256];
            int n = step / 2;
            for (int i = 0; i < 256; i++) {
                lut[i] = Math.min(255, n / step);
                n += h[i];
            }
            for (int i = 0; i < hw; i++) out[c * hw + i] = lut[level(out[c * hw + i])] / 255f;
        }
        return new PlanarImage(out, img.channels(), img.height(), img.width());
    }

    // ---------------------------------------------------------------- ImageEnhance blends

    /** degenerate + f·(img − degenerate), clipped to [0, 1]: PIL's ImageEnhance with factor f. */
    static PlanarImage blend(PlanarImage degenerate, PlanarImage img, double f) {
        float[] d = degenerate.data(), x = img.data(), out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) Math.max(0, Math.min(1, d[i] + f * (x[i] - d[i])));
        return new PlanarImage(out, img.channels(), img.height(), img.width());
    }

    /** The image in grey (ITU-R 601 luma), repeated over its channels; a grey image is its own. */
    static PlanarImage grey(PlanarImage img) {
        if (img.channels() == 1) return img;
        int hw = img.height() * img.width();
        float[] x = img.data(), out = new float[x.length];
        for (int i = 0; i < hw; i++) {
            float l = 0.299f * x[i] + 0.587f * x[hw + i] + 0.114f * x[2 * hw + i];
            for (int c = 0; c < img.channels(); c++) out[c * hw + i] = l;
        }
        return new PlanarImage(out, img.channels(), img.height(), img.width());
    }

    /** The mean grey level (PIL's Contrast enhancer blends towards it). */
    static float meanLuma(PlanarImage img) {
        float[] g = grey(img).data();
        double sum = 0;
        int hw = img.height() * img.width();
        for (int i = 0; i < hw; i++) sum += g[i];
        return (float) (sum / hw);
    }

    private static PlanarImage constant(PlanarImage img, float v) {
        float[] out = new float[img.data().length];
        java.util.Arrays.fill(out, v);
        return new PlanarImage(out, img.channels(), img.height(), img.width());
    }

    /** PIL's SMOOTH filter ([1 1 1; 1 5 1; 1 1 1] / 13) inside the image; the border keeps its pixels, as PIL's Sharpness does. */
    static PlanarImage smooth(PlanarImage img) {
        int h = img.height(), w = img.width(), hw = h * w;
        float[] x = img.data(), out = x.clone();
        for (int c = 0; c < img.channels(); c++) {
            for (int y = 1; y < h - 1; y++) {
                for (int xx = 1; xx < w - 1; xx++) {
                    float s = 0;
                    for (int dy = -1; dy <= 1; dy++) for (int dx = -1; dx <= 1; dx++) s += x[c * hw + (y + dy) * w + xx + dx];
                    s += 4 * x[c * hw + y * w + xx];
                    out[c * hw + y * w + xx] = s / 13;
                }
            }
        }
        return new PlanarImage(out, img.channels(), img.height(), img.width());
    }

    // ---------------------------------------------------------------- geometry

    /**
     * PIL's Image.transform(AFFINE, (a, b, c, d, e, f)): output pixel (x, y) takes the input at
     * (a·x + b·y + c, d·x + e·y + f), bilinearly, or the fill colour outside the image.
     */
    static PlanarImage affine(PlanarImage img, double a, double b, double c, double d, double e, double f) {
        int h = img.height(), w = img.width(), hw = h * w, ch = img.channels();
        float[] x = img.data(), out = new float[x.length];
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                // pixel centres: output (xx + ½, y + ½) maps to input u, v in continuous coordinates
                double u = a * (xx + 0.5) + b * (y + 0.5) + c - 0.5, v = d * (xx + 0.5) + e * (y + 0.5) + f - 0.5;
                for (int k = 0; k < ch; k++) out[k * hw + y * w + xx] = sample(x, k * hw, h, w, u, v, fill(ch, k));
            }
        }
        return new PlanarImage(out, ch, h, w);
    }

    /** PIL's rotate(degrees): counter-clockwise about the centre, same size, corners filled. */
    static PlanarImage rotate(PlanarImage img, double degrees) {
        double t = Math.toRadians(degrees), cos = Math.cos(t), sin = Math.sin(t);
        double cx = img.width() / 2.0, cy = img.height() / 2.0;
        // input = centre + R(−θ) in image coordinates (y down) applied to (output − centre)
        return affine(img, cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy);
    }

    private static float fill(int channels, int k) {
        return channels == 3 ? FILL_RGB[k] : FILL_GREY;
    }

    /** Bilinear sample of plane p at (u, v) (pixel-centre coordinates); outside the image: the fill. */
    private static float sample(float[] p, int off, int h, int w, double u, double v, float fill) {
        if (u < -0.5 || v < -0.5 || u > w - 0.5 || v > h - 0.5) return fill;
        int x0 = (int) Math.floor(u), y0 = (int) Math.floor(v);
        double fx = u - x0, fy = v - y0;
        double s = 0;
        for (int dy = 0; dy <= 1; dy++) {
            for (int dx = 0; dx <= 1; dx++) {
                int xi = Math.max(0, Math.min(w - 1, x0 + dx)), yi = Math.max(0, Math.min(h - 1, y0 + dy));
                s += (dx == 0 ? 1 - fx : fx) * (dy == 0 ? 1 - fy : fy) * p[off + yi * w + xi];
            }
        }
        return (float) s;
    }
}
