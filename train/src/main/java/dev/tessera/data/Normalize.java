package dev.tessera.data;

import java.util.Arrays;

/**
 * Per-channel standardisation {@code (x − mean[c]) / std[c]} applied to images in [0, 1], and its inverse for
 * pictures. ImageNet's statistics are the usual torchvision ones; Fashion-MNIST's (0.2860, 0.3530) are the
 * mean and standard deviation of its 60 000 training images' pixels, scaled to [0, 1].
 */
public record Normalize(float[] mean, float[] std) {

    public Normalize {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("Normalize needs one mean and one std per channel, got "
                    + mean.length + " means and " + std.length + " stds");
        }
        for (float s : std) if (!(s > 0)) throw new IllegalArgumentException("Normalize std must be > 0, got " + Arrays.toString(std));
        mean = mean.clone();
        std = std.clone();
    }

    public static Normalize imagenet() {
        return new Normalize(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
    }

    public static Normalize fashionMnist() {
        return new Normalize(new float[] {0.2860f}, new float[] {0.3530f});
    }

    /** The default for a channel count: Fashion-MNIST's for 1 channel, ImageNet's for 3. */
    public static Normalize forChannels(int channels) {
        return switch (channels) {
            case 1 -> fashionMnist();
            case 3 -> imagenet();
            default -> throw new IllegalArgumentException("no default normalisation for " + channels + " channels");
        };
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    public int channels() {
        return mean.length;
    }

    /** Writes the normalised image into dst[off .. off + C·H·W) in CHW order. */
    public void apply(PlanarImage img, float[] dst, int off) {
        checkChannels(img.channels());
        int hw = img.height() * img.width();
        float[] src = img.data();
        for (int c = 0; c < mean.length; c++) {
            float m = mean[c], inv = 1f / std[c];
            int base = c * hw;
            for (int i = 0; i < hw; i++) dst[off + base + i] = (src[base + i] - m) * inv;
        }
    }

    /**
     * Undoes {@link #apply} for one CHW image at src[off ..] and clamps to [0, 1] (model outputs overshoot), giving
     * what the picture classes in {@code dev.tessera.viz} take. Returns a new array of C·H·W floats.
     */
    public float[] denormalize(float[] src, int off, int channels, int height, int width) {
        checkChannels(channels);
        int hw = height * width;
        float[] out = new float[channels * hw];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < hw; i++) {
                float v = src[off + c * hw + i] * std[c] + mean[c];
                out[c * hw + i] = v < 0 ? 0 : v > 1 ? 1 : v; // NaN stays NaN; pictures draw it black
            }
        }
        return out;
    }

    private void checkChannels(int channels) {
        if (channels != mean.length) {
            throw new IllegalArgumentException("Normalize has statistics for " + mean.length + " channels but the image has " + channels);
        }
    }
}
