package dev.tessera.engine.nn;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;

/**
 * Batch norm over the batch axis of [N, C] features (torch.nn.BatchNorm1d, Ioffe and Szegedy 2015). MAE's
 * linear probe puts {@code BatchNorm1d(D, affine=False, eps=1e-6)} before its head and trains in train()
 * mode, so the batch statistics are what matters (docs/mae.md#linear-probe, mae#54).
 *
 * <p>Training: normalise with the batch mean and the <i>biased</i> batch variance, then update
 * {@code running_mean ← (1−m)·running_mean + m·mean} and {@code running_var ← (1−m)·running_var +
 * m·var·N/(N−1)} (the <i>unbiased</i> variance), m = momentum = 0.1, as torch does. Evaluation: normalise with
 * the running statistics. Buffers {@code running_mean} (zeros) and {@code running_var} (ones) are saved with
 * the model; torch's {@code num_batches_tracked} counter only matters for momentum=None and is not kept, so
 * loading a torch state dict must ignore that key.
 */
public final class BatchNorm1d extends Module {
    private final int features;
    private final float eps;
    private final float momentum;
    private final Parameter weight;
    private final Parameter bias;
    private final Tensor runningMean;
    private final Tensor runningVar;

    /**
     * @param affine learn a per-feature scale (ones) and shift (zeros) after normalising; the MAE probe has none
     */
    public BatchNorm1d(Backend backend, int features, float eps, float momentum, boolean affine) {
        if (features <= 0) throw new IllegalArgumentException("BatchNorm1d: features must be positive, got " + features);
        if (!(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("BatchNorm1d: need eps > 0 and momentum in [0, 1], got eps " + eps
                    + ", momentum " + momentum);
        }
        this.features = features;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? parameter("weight", Tensor.ones(backend, features)) : null;
        this.bias = affine ? parameter("bias", Tensor.zeros(backend, features)) : null;
        this.runningMean = buffer("running_mean", Tensor.zeros(backend, features));
        this.runningVar = buffer("running_var", Tensor.ones(backend, features));
    }

    /** torch's defaults: eps 1e-5, momentum 0.1. */
    public BatchNorm1d(Backend backend, int features, boolean affine) {
        this(backend, features, 1e-5f, 0.1f, affine);
    }

    /** x [N, C] → [N, C]. */
    public Tensor forward(Tensor x) {
        if (x.rank() != 2 || x.dim(1) != features) {
            throw new ShapeException("BatchNorm1d(" + features + "): expected input [N, " + features + "], got "
                    + Shape.str(x.shape()));
        }
        Tensor y;
        if (isTraining()) {
            int n = x.dim(0);
            if (n < 2) {
                throw new ShapeException("BatchNorm1d: training needs more than one sample per feature (batch " + n
                        + "), as in torch");
            }
            Tensor mean = x.mean(0, true);                         // [1, C]
            Tensor centered = x.sub(mean);                         // [N, C]
            Tensor var = centered.mul(centered).mean(0, true);     // [1, C], biased
            y = centered.div(var.add(eps).sqrt());
            updateRunningStats(mean, var, n);
        } else {
            y = x.sub(runningMean).div(runningVar.add(eps).sqrt());
        }
        if (weight != null) y = y.mul(weight.tensor()).add(bias.tensor());
        return y;
    }

    private void updateRunningStats(Tensor mean, Tensor biasedVar, int n) {
        try (var _ = GradMode.noGrad()) {
            Tensor m = runningMean.mul(1 - momentum).add(mean.detach().reshape(features).mul(momentum));
            Tensor unbiased = biasedVar.detach().reshape(features).mul((float) n / (n - 1));
            Tensor v = runningVar.mul(1 - momentum).add(unbiased.mul(momentum));
            runningMean.copyFrom(m);
            runningVar.copyFrom(v);
        }
    }

    public Tensor runningMean() {
        return runningMean;
    }

    public Tensor runningVar() {
        return runningVar;
    }

    /** The scale, or null when not affine. */
    public Parameter weight() {
        return weight;
    }

    /** The shift, or null when not affine. */
    public Parameter bias() {
        return bias;
    }
}
