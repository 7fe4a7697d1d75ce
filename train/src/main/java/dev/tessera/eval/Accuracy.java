package dev.tessera.eval;

/** Top-1 accuracy helpers: every evaluation reports the percentage of test samples whose prediction is the label. */
public final class Accuracy {
    private Accuracy() {}

    /** 100 · (number of i with predicted[i] == labels[i]) / n. */
    public static double percent(int[] predicted, int[] labels) {
        if (predicted.length != labels.length || labels.length == 0) {
            throw new IllegalArgumentException("accuracy: " + predicted.length + " predictions for " + labels.length + " labels");
        }
        int correct = 0;
        for (int i = 0; i < labels.length; i++) if (predicted[i] == labels[i]) correct++;
        return 100.0 * correct / labels.length;
    }

    /** Row-wise argmax of logits [n, classes] (first maximum on ties). */
    public static int[] argmax(float[] logits, int n, int classes) {
        if (logits.length != n * classes) {
            throw new IllegalArgumentException("argmax: " + logits.length + " logits for " + n + " x " + classes);
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
            out[i] = best;
        }
        return out;
    }
}
