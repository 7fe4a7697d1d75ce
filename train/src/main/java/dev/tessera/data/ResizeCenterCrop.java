package dev.tessera.data;

import java.util.random.RandomGenerator;

/**
 * The evaluation transform of timm/MAE fine-tuning: resize so the shorter side is ⌊size/cropFraction⌋
 * (torchvision {@code Resize(int)}: the longer side becomes ⌊resize·long/short⌋), then take the centred
 * size×size window (torchvision {@code CenterCrop}: offsets {@code round((H−size)/2)}, half to even).
 * Resizing uses {@link Resample} (Pillow's bicubic), as MAE's eval pipeline does.
 */
public record ResizeCenterCrop(int size, double cropFraction) implements ImageTransform {

    public ResizeCenterCrop {
        if (size <= 0) throw new IllegalArgumentException("ResizeCenterCrop size must be positive, got " + size);
        if (!(0 < cropFraction && cropFraction <= 1)) {
            throw new IllegalArgumentException("ResizeCenterCrop cropFraction must be in (0, 1], got " + cropFraction);
        }
    }

    /** The length the shorter side is resized to (256 for size 224 and fraction 0.875). */
    public int resizeTo() {
        return (int) (size / cropFraction);
    }

    @Override
    public PlanarImage apply(PlanarImage src, RandomGenerator rng) {
        int h = src.height(), w = src.width(), r = resizeTo();
        int outH = h <= w ? r : (int) ((long) r * h / w);
        int outW = h <= w ? (int) ((long) r * w / h) : r;
        PlanarImage resized = Resample.resize(src, outH, outW);
        int top = (int) Math.rint((outH - size) / 2.0), left = (int) Math.rint((outW - size) / 2.0);
        return resized.crop(top, left, size, size);
    }
}
