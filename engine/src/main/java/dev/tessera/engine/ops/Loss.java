package dev.tessera.engine.ops;

import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import java.util.Arrays;

/**
 * Training losses, each a scalar mean composed from differentiable ops (log-softmax, gather, reductions),
 * so none needs a backward rule of its own. Semantics follow PyTorch so goldens agree:
 * <ul>
 *   <li>{@link #crossEntropy}: torch.nn.functional.cross_entropy with label_smoothing (fine-tuning, docs/mae.md#fine-tuning;
 *       CAE's token prediction, docs/cae.md#decoder);</li>
 *   <li>{@link #mse}: mean squared error (CAE's alignment and pixel losses, docs/cae.md#alignment). MAE's loss on the
 *       removed patches only is written out where it is defined, in {@code MaskedAutoencoder.forwardLoss}.</li>
 * </ul>
 */
public final class Loss {
    private Loss() {}

    /**
     * Mean over n of (1−ε)·(−log p[n, y_n]) + ε·mean_c(−log p[n, c]), p = softmax(logits[n]).
     * logits [N, C], labels int32 [N] with values in [0, C).
     */
    public static Tensor crossEntropy(Tensor logits, Tensor labels, float labelSmoothing) {
        if (logits.rank() != 2 || labels.rank() != 1 || labels.dim(0) != logits.dim(0)) {
            throw new ShapeException("crossEntropy: expected logits [N, C] and labels [N]; got logits "
                    + Shape.str(logits.shape()) + ", labels " + Shape.str(labels.shape()));
        }
        if (!labels.isInt()) throw new IllegalArgumentException("crossEntropy: labels must be int32, got " + labels);
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) {
            throw new IllegalArgumentException("crossEntropy: label smoothing " + labelSmoothing + " is outside [0, 1]");
        }
        int n = logits.dim(0), c = logits.dim(1);
        // Checked on the host: N ints are cheap to read, and a device gather would fail with a message about
        // indices instead of labels (or, on a GPU, not at all).
        int[] ys = labels.toIntArray();
        for (int i = 0; i < n; i++) {
            if (ys[i] < 0 || ys[i] >= c) {
                throw new IllegalArgumentException("crossEntropy: label " + ys[i] + " of sample " + i
                        + " is outside [0, " + c + ") for C = " + c + " classes");
            }
        }
        Tensor logp = logits.logSoftmax(-1);                             // [N, C]
        Tensor nll = logp.gather(1, labels.reshape(n, 1)).mean().neg();  // mean_n −log p[n, y_n]
        if (labelSmoothing == 0f) return nll;
        Tensor uniform = logp.mean().neg();                              // mean_n mean_c −log p[n, c]
        return nll.mul(1f - labelSmoothing).add(uniform.mul(labelSmoothing));
    }

    /** mean over every element of (pred − target)²; the shapes must be equal. */
    public static Tensor mse(Tensor pred, Tensor target) {
        sameShape("mse", pred, target);
        return pred.sub(target).square().mean();
    }

    private static void sameShape(String op, Tensor pred, Tensor target) {
        if (!Arrays.equals(pred.shape(), target.shape())) {
            throw new ShapeException(op + ": pred " + Shape.str(pred.shape()) + " and target "
                    + Shape.str(target.shape()) + " differ");
        }
    }
}
