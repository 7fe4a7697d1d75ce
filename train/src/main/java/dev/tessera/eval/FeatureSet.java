package dev.tessera.eval;

import java.util.Arrays;

/**
 * Fixed feature vectors with their labels: what a frozen encoder (or the raw pixels) gives for a set of
 * images, the input of the kNN classifier and of the probes. Precomputing them once is exact because the
 * encoder is frozen and has no stochastic layer in evaluation (no dropout, no drop-path; docs/mae.md#linear-probe notes that
 * the probe's train() mode changes only the BatchNorm statistics).
 *
 * @param features   [n, dim] row-major (for token sets, dim = tokens·width)
 * @param labels     [n] class ids in [0, numClasses)
 * @param dim        floats per sample
 * @param numClasses number of classes of the dataset the features came from
 */
public record FeatureSet(float[] features, int[] labels, int dim, int numClasses) {

    public FeatureSet {
        if (dim <= 0 || numClasses <= 0) {
            throw new IllegalArgumentException("FeatureSet: dim " + dim + " and numClasses " + numClasses + " must be positive");
        }
        if ((long) labels.length * dim != features.length) {
            throw new IllegalArgumentException("FeatureSet: " + features.length + " floats for " + labels.length
                    + " samples of dim " + dim);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("FeatureSet: label " + labels[i] + " of sample " + i
                        + " is outside [0, " + numClasses + ")");
            }
        }
    }

    /** Number of samples. */
    public int size() {
        return labels.length;
    }

    /** Columns [from, from + width) of every sample (a copy): one part of features stored side by side. */
    public FeatureSet columns(int from, int width) {
        if (from < 0 || width < 1 || from + width > dim) {
            throw new IllegalArgumentException("FeatureSet: columns [" + from + ", " + (from + width) + ") of a " + dim + "-dim set");
        }
        float[] f = new float[labels.length * width];
        for (int i = 0; i < labels.length; i++) System.arraycopy(features, i * dim + from, f, i * width, width);
        return new FeatureSet(f, labels.clone(), width, numClasses);
    }

    /** The samples at {@code rows}, in that order (a copy). */
    public FeatureSet rows(int[] rows) {
        float[] f = new float[rows.length * dim];
        int[] y = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(features, rows[i] * dim, f, i * dim, dim);
            y[i] = labels[rows[i]];
        }
        return new FeatureSet(f, y, dim, numClasses);
    }

    /** Each row divided by its L2 norm (a zero row stays zero): cosine similarity becomes a dot product. */
    public FeatureSet l2Normalized() {
        float[] f = Arrays.copyOf(features, features.length);
        for (int i = 0; i < size(); i++) {
            double ss = 0;
            for (int j = 0; j < dim; j++) ss += (double) f[i * dim + j] * f[i * dim + j];
            if (ss == 0) continue;
            float inv = (float) (1 / Math.sqrt(ss));
            for (int j = 0; j < dim; j++) f[i * dim + j] *= inv;
        }
        return new FeatureSet(f, labels, dim, numClasses);
    }
}
