package dev.tessera.data;


/**
 * A decoded image as planar floats in [0, 1]: {@code data[c*H*W + y*W + x]}, the CHW layout the models take.
 * Transforms work on this form so that grey (Fashion-MNIST) and colour (ImageFolder) images share one path.
 */
public record PlanarImage(float[] data, int channels, int height, int width) {

    public PlanarImage {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image dims must be positive, got " + channels + "x" + height + "x" + width);
        }
        if (data.length != channels * height * width) {
            throw new IllegalArgumentException("image data has " + data.length + " floats but " + channels + "x"
                    + height + "x" + width + " needs " + channels * height * width);
        }
    }

    /** The same image mirrored left to right (a new array). */
    public PlanarImage flipHorizontal() {
        float[] out = new float[data.length];
        for (int row = 0; row < channels * height; row++) {
            int base = row * width;
            for (int x = 0; x < width; x++) out[base + x] = data[base + width - 1 - x];
        }
        return new PlanarImage(out, channels, height, width);
    }

    /** The window of {@code h×w} pixels whose top-left corner is (top, left); it must lie inside the image. */
    public PlanarImage crop(int top, int left, int h, int w) {
        if (top < 0 || left < 0 || h <= 0 || w <= 0 || top + h > height || left + w > width) {
            throw new IllegalArgumentException("crop " + h + "x" + w + " at (" + top + ", " + left + ") is outside a "
                    + height + "x" + width + " image");
        }
        float[] out = new float[channels * h * w];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < h; y++) {
                System.arraycopy(data, (c * height + top + y) * width + left, out, (c * h + y) * w, w);
            }
        }
        return new PlanarImage(out, channels, h, w);
    }
}
