package dev.tessera.eval;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.ops.Loss;
import dev.tessera.engine.optim.CosineSchedule;
import dev.tessera.engine.optim.Lars;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.optim.Sgd;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * A classifier trained on precomputed, frozen features ({@link FeatureSet}): the linear probe and the attentive
 * probe. Only the head's parameters exist here, so "freeze the encoder" needs no flag — the encoder already ran.
 * {@link #fit} is the probe's training loop: per-iteration cosine schedule, cross-entropy without label
 * smoothing, LARS or SGD (see {@link ProbeRecipe}); the head is in train() mode while fitting, so its
 * BatchNorm uses batch statistics (mae#54), and in eval() mode (running statistics) when predicting.
 */
public abstract class FeatureHead extends Module {
    /** Test rows per forward pass when predicting. */
    private static final int PREDICT_BATCH = 1024;

    /** x [B, dim] (one row of a FeatureSet per sample) → logits [B, classes]. */
    public abstract Tensor logits(Tensor x);

    /** Feature floats per sample that {@link #logits} expects. */
    public abstract int inputDim();

    /**
     * Trains on {@code train}; returns the mean training loss of each epoch. {@code log} (may be null) gets
     * one line per epoch.
     */
    public final double[] fit(FeatureSet train, ProbeRecipe recipe, long seed, Consumer<String> log) {
        return fit(epoch -> train, recipe, seed, log);
    }

    /**
     * Trains on {@code trainOfEpoch.apply(e)} in epoch e: the same precomputed set every epoch, or the features of
     * freshly augmented images (the official probes' per-epoch RandomResizedCrop + flip: MAE's
     * {@code main_linprobe.py}, lxtGH/CAE's {@code run_attentive.py}). Every epoch's set must have the same size.
     */
    public final double[] fit(IntFunction<FeatureSet> trainOfEpoch, ProbeRecipe recipe, long seed, Consumer<String> log) {
        FeatureSet train = trainOfEpoch.apply(0);
        checkDim(train);
        int n = train.size(), b = recipe.batch(), dim = train.dim();
        if (n < b) throw new IllegalArgumentException("probe: " + n + " training samples is fewer than one batch of " + b);
        int iters = n / b;                                          // drop the last short batch
        Backend be = Features.backendOf(this);
        ParameterStore store = new ParameterStore(be, this);
        Lars lars = recipe.optimizer() == ProbeRecipe.Optimizer.LARS ? Lars.linearProbe(store) : null;
        Sgd sgd = recipe.optimizer() == ProbeRecipe.Optimizer.SGD ? new Sgd(store, 0.9f, 0f, recipe.nesterov()) : null;
        CosineSchedule schedule = new CosineSchedule(recipe.lr(), recipe.minLr(), recipe.warmupEpochs(), recipe.epochs());
        Rng rng = new Rng(seed);
        double[] epochLoss = new double[recipe.epochs()];
        float[] xb = new float[b * dim];
        int[] yb = new int[b];
        train(true);
        for (int epoch = 0; epoch < recipe.epochs(); epoch++) {
            if (epoch > 0) {
                train = null;                                      // the last epoch's set may go while the next is made
                train = trainOfEpoch.apply(epoch);
                if (train.size() != n || train.dim() != dim) {
                    throw new IllegalStateException("probe: epoch " + epoch + " has " + train.size() + "×" + train.dim()
                            + " features, epoch 0 had " + n + "×" + dim);
                }
            }
            int[] order = rng.permutation(n);
            double sum = 0;
            for (int it = 0; it < iters; it++) {
                for (int i = 0; i < b; i++) {
                    int row = order[it * b + i];
                    System.arraycopy(train.features(), row * dim, xb, i * dim, dim);
                    yb[i] = train.labels()[row];
                }
                float lr = (float) schedule.lr(epoch, it, iters);
                try (StepScope _ = be.openScope()) {
                    store.zeroGrad();
                    Tensor loss = Loss.crossEntropy(logits(Tensor.of(be, xb, b, dim)), Tensor.ofInts(be, yb, b), 0f);
                    loss.backward();
                    if (lars != null) lars.step(lr);
                    else sgd.step(lr);
                    float l = loss.item();
                    if (!Float.isFinite(l)) {
                        throw new IllegalStateException("probe: loss is " + l + " at epoch " + epoch + ", iteration " + it
                                + " (lr " + lr + "); lower --lr");
                    }
                    sum += l;
                }
            }
            epochLoss[epoch] = sum / iters;
            if (log != null) log.accept(String.format("epoch %d/%d  loss %.4f", epoch + 1, recipe.epochs(), epochLoss[epoch]));
        }
        train(false);
        return epochLoss;
    }

    /** Predicted classes in eval mode (BatchNorm running statistics). */
    public final int[] predict(FeatureSet test) {
        checkDim(test);
        Backend be = Features.backendOf(this);
        int dim = test.dim(), classes = -1;
        int[] out = new int[test.size()];
        boolean was = isTraining();
        train(false);
        try (var _ = GradMode.noGrad()) {
            for (int start = 0; start < test.size(); start += PREDICT_BATCH) {
                int rows = Math.min(PREDICT_BATCH, test.size() - start);
                float[] x = new float[rows * dim];
                System.arraycopy(test.features(), start * dim, x, 0, rows * dim);
                try (StepScope _ = be.openScope()) {
                    Tensor lg = logits(Tensor.of(be, x, rows, dim));
                    classes = lg.dim(1);
                    System.arraycopy(Accuracy.argmax(lg.toArray(), rows, classes), 0, out, start, rows);
                }
            }
        } finally {
            train(was);
        }
        return out;
    }

    /** Top-1 accuracy on {@code test}, in percent. */
    public final double accuracy(FeatureSet test) {
        return Accuracy.percent(predict(test), test.labels());
    }

    private void checkDim(FeatureSet set) {
        if (set.dim() != inputDim()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " expects " + inputDim()
                    + " floats per sample, the features have " + set.dim());
        }
    }
}
