package dev.tessera.eval;

/**
 * How a head on frozen features is trained: epochs, batch, peak learning rate, linear warmup then half-cosine
 * to {@code minLr} per iteration (MAE's {@code lr_sched}, {@link dev.tessera.engine.optim.CosineSchedule}), and the
 * optimizer — LARS for the linear probe (docs/mae.md#linear-probe) or SGD with momentum for the attentive probe
 * (docs/cae.md#evaluation), both with momentum 0.9 and no weight decay. Training batches are shuffled per epoch
 * and the last short batch is dropped (BatchNorm needs more than one sample; MAE's loaders drop it too).
 *
 * @param lr       the absolute peak learning rate (not a base lr to be scaled by batch/256)
 * @param minLr    the cosine's floor: 0 in MAE's {@code main_linprobe.py}, 1e-6 in lxtGH/CAE's {@code run_attentive.py}
 * @param nesterov SGD only: Nesterov momentum — timm's {@code create_optimizer} (which CAE's probe calls with
 *                 {@code --opt sgd}) builds {@code SGD(..., nesterov=True)}
 */
public record ProbeRecipe(int epochs, int batch, double lr, double warmupEpochs, Optimizer optimizer, double minLr, boolean nesterov) {

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
        if (!(minLr >= 0 && minLr <= lr)) {
            throw new IllegalArgumentException("probe recipe: need 0 <= min lr <= lr, got min lr " + minLr + ", lr " + lr);
        }
        if (nesterov && optimizer != Optimizer.SGD) throw new IllegalArgumentException("probe recipe: Nesterov momentum is for SGD, not " + optimizer);
    }

    public ProbeRecipe withEpochs(int e) {
        return new ProbeRecipe(e, batch, lr, Math.min(warmupEpochs, Math.max(0, e - 1)), optimizer, minLr, nesterov);
    }

    public ProbeRecipe withBatch(int b) {
        return new ProbeRecipe(epochs, b, lr, warmupEpochs, optimizer, minLr, nesterov);
    }

    /** Another peak lr; the floor is kept below it. */
    public ProbeRecipe withLr(double l) {
        return new ProbeRecipe(epochs, batch, l, warmupEpochs, optimizer, Math.min(minLr, l), nesterov);
    }

    public ProbeRecipe withWarmupEpochs(double w) {
        return new ProbeRecipe(epochs, batch, lr, w, optimizer, minLr, nesterov);
    }

    public ProbeRecipe withMinLr(double m) {
        return new ProbeRecipe(epochs, batch, lr, warmupEpochs, optimizer, m, nesterov);
    }

    public ProbeRecipe withNesterov(boolean on) {
        return new ProbeRecipe(epochs, batch, lr, warmupEpochs, optimizer, minLr, on);
    }
}
