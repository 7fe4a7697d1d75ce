package dev.tessera.eval;

/**
 * How a head on frozen features is trained: epochs, batch, peak learning rate, linear warmup then half-cosine
 * to 0 per iteration (MAE's {@code lr_sched}, {@link dev.tessera.engine.optim.CosineSchedule}), and the
 * optimizer — LARS for the linear probe (docs/mae.md#linear-probe) or SGD with momentum for the attentive probe (docs/cae.md#evaluation),
 * both with momentum 0.9 and no weight decay. Training batches are shuffled per epoch and the last short
 * batch is dropped (BatchNorm needs more than one sample; MAE's loaders drop it too).
 *
 * @param lr the absolute peak learning rate (not a base lr to be scaled by batch/256)
 */
public record ProbeRecipe(int epochs, int batch, double lr, double warmupEpochs, Optimizer optimizer) {

    public enum Optimizer { LARS, SGD }

    public ProbeRecipe {
        if (epochs <= 0 || batch < 2) {
            throw new IllegalArgumentException("probe recipe: need epochs > 0 and batch >= 2 (BatchNorm), got epochs "
                    + epochs + ", batch " + batch);
        }
        if (!(lr > 0) || !(warmupEpochs >= 0 && warmupEpochs < epochs)) {
            throw new IllegalArgumentException("probe recipe: need lr > 0 and 0 <= warmup < epochs, got lr " + lr
                    + ", warmup " + warmupEpochs + ", epochs " + epochs);
        }
    }

    public ProbeRecipe withEpochs(int e) {
        return new ProbeRecipe(e, batch, lr, Math.min(warmupEpochs, Math.max(0, e - 1)), optimizer);
    }

    public ProbeRecipe withBatch(int b) {
        return new ProbeRecipe(epochs, b, lr, warmupEpochs, optimizer);
    }

    public ProbeRecipe withLr(double l) {
        return new ProbeRecipe(epochs, batch, l, warmupEpochs, optimizer);
    }
}
