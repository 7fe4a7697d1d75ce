package dev.tessera.eval;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;

/**
 * Weighted k-nearest-neighbour classification of frozen features, as DINO's {@code knn_classifier}
 * (Caron et al. 2021, §4.1 and their {@code eval_knn.py}): features are L2-normalised, similarity is the cosine
 * (a dot product), the k most similar training samples vote for their class with weight exp(sim/T), and the
 * class with the largest total wins (ties: the smaller class id). Defaults k = 20, T = 0.07 (DINO's).
 *
 * <p>The similarity matrix is computed in chunks of test rows on the backend (one GEMM each), and the top k
 * are selected on the host, so memory stays at chunk × N_train floats.
 */
public final class KnnClassifier {
    public static final int DEFAULT_K = 20;
    public static final float DEFAULT_TEMPERATURE = 0.07f;
    private static final int CHUNK = 512;

    private final int k;
    private final float temperature;

    public KnnClassifier(int k, float temperature) {
        if (k <= 0) throw new IllegalArgumentException("kNN: k must be positive, got " + k);
        if (!(temperature > 0)) throw new IllegalArgumentException("kNN: temperature must be positive, got " + temperature);
        this.k = k;
        this.temperature = temperature;
    }

    /** k = 20, T = 0.07. */
    public static KnnClassifier dino() {
        return new KnnClassifier(DEFAULT_K, DEFAULT_TEMPERATURE);
    }

    /** Predicted class of every test sample, voting among the training samples. */
    public int[] predict(Backend be, FeatureSet train, FeatureSet test) {
        if (train.dim() != test.dim()) {
            throw new IllegalArgumentException("kNN: training features have dim " + train.dim() + ", test features " + test.dim());
        }
        if (k > train.size()) {
            throw new IllegalArgumentException("kNN: k = " + k + " but only " + train.size() + " training samples");
        }
        int classes = Math.max(train.numClasses(), test.numClasses()), d = train.dim(), nTrain = train.size();
        FeatureSet tr = train.l2Normalized(), te = test.l2Normalized();
        int[] predicted = new int[test.size()];
        try (var _ = GradMode.noGrad(); StepScope _ = be.openScope()) {
            Tensor trainRows = Tensor.of(be, tr.features(), nTrain, d);                             // [N_train, D]
            int[] topIdx = new int[k];
            float[] topSim = new float[k];
            double[] votes = new double[classes];
            for (int start = 0; start < te.size(); start += CHUNK) {
                int rows = Math.min(CHUNK, te.size() - start);
                float[] sims;
                try (StepScope _ = be.openScope()) {
                    float[] chunk = new float[rows * d];
                    System.arraycopy(te.features(), start * d, chunk, 0, rows * d);
                    sims = Tensor.of(be, chunk, rows, d).linear(trainRows, null).toArray();        // [rows, N_train] cosines
                }
                for (int r = 0; r < rows; r++) {
                    topK(sims, r * nTrain, nTrain, topIdx, topSim);
                    java.util.Arrays.fill(votes, 0);
                    for (int j = 0; j < k; j++) votes[tr.labels()[topIdx[j]]] += Math.exp(topSim[j] / temperature);
                    int best = 0;
                    for (int c = 1; c < classes; c++) if (votes[c] > votes[best]) best = c;
                    predicted[start + r] = best;
                }
            }
        }
        return predicted;
    }

    /** Top-1 accuracy in percent. */
    public double accuracy(Backend be, FeatureSet train, FeatureSet test) {
        return Accuracy.percent(predict(be, train, test), test.labels());
    }

    /**
     * The k largest of sims[from .. from+n) into (idx, sim), sorted descending; among equal similarities the
     * earlier training sample ranks first. One pass with insertion into a sorted array of k: n·k worst case,
     * but almost every candidate is rejected by the first comparison.
     */
    static void topK(float[] sims, int from, int n, int[] idx, float[] sim) {
        int k = idx.length, filled = 0;
        for (int i = 0; i < n; i++) {
            float s = sims[from + i];
            if (filled == k && !(s > sim[k - 1])) continue;
            int pos = filled == k ? k - 1 : filled++;
            while (pos > 0 && s > sim[pos - 1]) {
                sim[pos] = sim[pos - 1];
                idx[pos] = idx[pos - 1];
                pos--;
            }
            sim[pos] = s;
            idx[pos] = i;
        }
    }
}
