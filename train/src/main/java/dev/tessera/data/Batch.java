package dev.tessera.data;

/**
 * One mini-batch: {@code n} images of shape [C, H, W] in {@code images} ([N, C, H, W], row-major, normalised),
 * their class ids, and the dataset index of each (for logging and pictures). {@code n} is smaller than the batch
 * size for the last batch of an epoch without drop-last, and when the loader skipped bad files.
 */
public record Batch(float[] images, int[] labels, int n, int c, int h, int w, int[] indices) {

    public Batch {
        if (images.length != n * c * h * w || labels.length != n || indices.length != n) {
            throw new IllegalArgumentException("batch of " + n + " images of " + c + "x" + h + "x" + w + " got "
                    + images.length + " floats, " + labels.length + " labels and " + indices.length + " indices");
        }
    }

    /** Floats per image, C·H·W. */
    public int imageSize() {
        return c * h * w;
    }
}
