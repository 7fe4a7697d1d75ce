package dev.tessera.engine.optim;

/**
 * MAE's learning-rate schedule ({@code util/lr_sched.adjust_learning_rate}, docs/mae.md#pretraining-recipe), evaluated per
 * iteration at the fractional epoch e = it/itersPerEpoch + epoch:
 * <pre>
 *   e &lt; warmup:  lr·e/warmup                                                  (linear warmup from 0)
 *   otherwise:   minLr + (lr − minLr)·½·(1 + cos(π·(e − warmup)/(epochs − warmup)))  (half-cosine to minLr)
 * </pre>
 * The result is the base lr; per-parameter scales (layer decay) multiply it inside the optimizer.
 */
public final class CosineSchedule {
    private final double peakLr;
    private final double minLr;
    private final double warmupEpochs;
    private final int epochs;

    public CosineSchedule(double peakLr, double minLr, double warmupEpochs, int epochs) {
        if (!(peakLr >= 0) || !(minLr >= 0) || !(warmupEpochs >= 0) || !(warmupEpochs < epochs)) {
            throw new IllegalArgumentException("CosineSchedule: need lr >= 0, minLr >= 0 and 0 <= warmup < epochs; got lr "
                    + peakLr + ", minLr " + minLr + ", warmup " + warmupEpochs + ", epochs " + epochs);
        }
        this.peakLr = peakLr;
        this.minLr = minLr;
        this.warmupEpochs = warmupEpochs;
        this.epochs = epochs;
    }

    /** The lr at fractional epoch {@code e}. */
    public double lr(double e) {
        if (e < warmupEpochs) return peakLr * e / warmupEpochs;
        return minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * (e - warmupEpochs) / (epochs - warmupEpochs)));
    }

    /** The lr for iteration {@code it} (0-based) of epoch {@code epoch} (0-based). */
    public double lr(int epoch, int it, int itersPerEpoch) {
        if (itersPerEpoch <= 0 || it < 0 || it >= itersPerEpoch) {
            throw new IllegalArgumentException("CosineSchedule: iteration " + it + " of " + itersPerEpoch + " per epoch");
        }
        return lr((double) it / itersPerEpoch + epoch);
    }

    public double peakLr() {
        return peakLr;
    }

    public int epochs() {
        return epochs;
    }
}
