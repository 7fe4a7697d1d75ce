package dev.tessera.train;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.tessera.data.DistributedSampler;
import dev.tessera.data.Loader;
import dev.tessera.engine.optim.CosineSchedule;

/**
 * How long a run is and what learning rate each optimizer step gets, resolved from {@link TrainSettings} and
 * the dataset size. MAE's loop (docs/mae.md#pretraining-recipe, {@code util/lr_sched.py}) sets the lr before every iteration at the
 * fractional epoch e = it/iters_per_epoch + epoch: linear warmup from 0, then a half cosine to min_lr.
 *
 * <p>Every epoch drops its short last batch (MAE's {@code drop_last=True}), so an epoch is
 * {@code batchesPerEpoch = ⌊N/B⌋} micro-batches and {@code stepsPerEpoch = ⌊batchesPerEpoch/accum⌋}
 * optimizer steps; the &lt; accum micro-batches left at an epoch's end are skipped, so a step never mixes two
 * epochs and a checkpoint between steps holds no half-accumulated gradient. The schedule is evaluated in
 * step units — step s sits at e = s/stepsPerEpoch, and warmup and length are multiplied by stepsPerEpoch —
 * which is the same function of e and also covers runs whose length is given in steps (fractional epochs).
 *
 * @param batchesPerEpoch micro-batches the loader yields per epoch
 * @param stepsPerEpoch   optimizer steps per epoch
 * @param totalSteps      optimizer steps of the whole run
 * @param peakLr          lr at the end of warmup
 * @param minLr           the cosine's floor
 * @param warmupSteps     warmup length in steps (may be fractional)
 * @param imagesPerStep   batch × accum × worldSize: the effective batch, which the lr rule scales with
 * @param worldSize       processes of a data-parallel run (1 without --distributed; config.json files written
 *                        before data parallelism have none and read as 1); each reads ⌈N/worldSize⌉ images per
 *                        epoch ({@link dev.tessera.data.DistributedSampler})
 */
public record TrainingPlan(int batchesPerEpoch, int stepsPerEpoch, int totalSteps, double peakLr, double minLr,
                           double warmupSteps, int imagesPerStep, int worldSize) {

    public TrainingPlan {
        if (worldSize == 0) worldSize = 1;
    }

    /** The plan of a single process. */
    public static TrainingPlan of(TrainSettings s, int datasetSize) {
        return of(s, datasetSize, 1);
    }

    /**
     * Resolves {@code s} for a dataset of {@code datasetSize} images.
     *
     * @throws IllegalArgumentException when the dataset cannot fill one step, or warmup is not shorter than the run
     */
    public static TrainingPlan of(TrainSettings s, int datasetSize, int worldSize) {
        int batches = Loader.batchCount(DistributedSampler.shardSize(datasetSize, worldSize), s.batchSize(), true);
        int perEpoch = batches / s.accum();
        if (perEpoch < 1) {
            throw new IllegalArgumentException("the data has " + datasetSize + " images, fewer than one optimizer step of "
                    + s.batchSize() + " × " + s.accum() + (worldSize > 1 ? " × " + worldSize + " processes" : "") + " = "
                    + (long) s.effectiveBatch() * worldSize + "; lower --batch or --accum");
        }
        long total = s.steps() > 0 ? s.steps() : (long) s.epochs() * perEpoch;
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException(s.epochs() + " epochs are " + total + " steps, too many");
        int images = s.effectiveBatch() * worldSize;           // MAE's eff_batch_size = batch × accum × world size
        double peak = s.lr() != null ? s.lr() : s.blr() * images / 256.0;
        double warmupEpochs = s.warmupEpochs() != null ? s.warmupEpochs() : s.warmupFraction() * total / perEpoch;
        double warmup = warmupEpochs * perEpoch;
        if (!(warmup < total)) {
            throw new IllegalArgumentException("warmup of " + warmupEpochs + " epochs (" + warmup + " steps) must be shorter than the run ("
                    + total + " steps)");
        }
        return new TrainingPlan(batches, perEpoch, (int) total, peak, Math.min(s.minLr(), peak), warmup, images, worldSize);
    }

    private CosineSchedule schedule() {
        return new CosineSchedule(peakLr, minLr, warmupSteps, totalSteps);
    }

    /** The lr of step {@code step} (0-based): warmup from 0, then the half cosine. */
    public double lr(int step) {
        return schedule().lr(step);
    }

    /** The fractional epoch at the start of step {@code step} (0-based): the e of the schedule. */
    public double epoch(int step) {
        return (double) step / stepsPerEpoch;
    }

    /** The planned number of epochs, possibly fractional. */
    @JsonIgnore
    public double epochs() {
        return (double) totalSteps / stepsPerEpoch;
    }

    /** The epoch (0-based) that step {@code step} (0-based) belongs to. */
    public int epochOf(int step) {
        return step / stepsPerEpoch;
    }

    /** The loader's batch index at which step {@code step} (0-based) starts within its epoch. */
    public int firstBatchOf(int step, int accum) {
        return (step % stepsPerEpoch) * accum;
    }
}
