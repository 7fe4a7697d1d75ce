package dev.tessera.train;

import java.util.Locale;

/**
 * Every knob of a pretraining run that is not the model or the data: batch and accumulation, length, the
 * learning-rate recipe, AdamW, clipping, seed, and how often to log and checkpoint. One record for every
 * method; {@link #forMethod} fills in each method's published recipe and callers change what they need:
 * <pre>{@code
 *   TrainSettings s = TrainSettings.forMethod("mae").toBuilder().batchSize(64).steps(200).build();
 * }</pre>
 *
 * <p>Defaults (docs/mae.md#pretraining-recipe for MAE, docs/cae.md#pretraining-recipe for CAE):
 * <table>
 *   <caption>Each method's defaults</caption>
 *   <tr><th></th><th>MAE</th><th>CAE</th></tr>
 *   <tr><td>lr</td><td>blr 1.5e-4 × eff. batch / 256</td><td>blr 1.875e-4 × eff. batch / 256 (1.5e-3 at 2048)</td></tr>
 *   <tr><td>min lr</td><td>0</td><td>1e-5</td></tr>
 *   <tr><td>warmup</td><td>5% of the run (40 of 800 epochs)</td><td>1/40 of the run (20 of 800, 40 of 1600 epochs)</td></tr>
 *   <tr><td>AdamW β</td><td>(0.9, 0.95)</td><td>(0.9, 0.999), torch's default: the scripts set none</td></tr>
 *   <tr><td>weight decay</td><td>0.05</td><td>0.05</td></tr>
 *   <tr><td>grad clip</td><td>off</td><td>3.0</td></tr>
 * </table>
 * CAE's warmup is the official scripts' ({@code scripts/cae_base_800e.sh}: {@code --warmup_epochs 20 --epochs 800};
 * {@code cae_large_1600e.sh}: 40 of 1600; Atten4Vis/CAE and lxtGH/CAE) — the runs behind the paper's tables. Atten4Vis's
 * {@code cae_base_300e.sh} warms up 10 of 300 (1/30): pass {@code --warmup-epochs 10} to reproduce that one.
 * CAE's published lr is absolute (1.5e-3 at batch 2048); Tessera scales every method's lr with the
 * effective batch, so CAE's blr is that lr × 256/2048 and a 2048 batch gets exactly the published value.
 *
 * @param method          "mae", "cae", or any name a custom objective uses (recorded, picks defaults)
 * @param batchSize       images per micro-batch
 * @param accum           micro-batches per optimizer step (gradients are averaged over them)
 * @param epochs          planned length in epochs, or 0 when {@code steps} gives it
 * @param steps           planned length in optimizer steps, or 0 when {@code epochs} gives it
 * @param lr              absolute peak lr, or null for {@code blr × batchSize × accum / 256}
 * @param blr             base lr, per 256 images
 * @param minLr           the cosine's floor (clamped to the peak lr if above it)
 * @param warmupEpochs    linear warmup length in epochs, or null for {@code warmupFraction} of the run
 * @param warmupFraction  the default warmup as a fraction of the run
 * @param clipGrad        global gradient-norm limit, 0 for none
 * @param seed            fixes model init, masks, drop-path and data order
 * @param workers         data-decoding threads (never changes the batches, only the speed)
 * @param checkpointEvery write the checkpoint (and pictures) every this many steps, and at the end
 * @param logEvery        append to metrics.jsonl every this many steps, and at the end
 * @param stopAfter       stop after this many steps although the schedule spans the whole run (0: never);
 *                        continue later with resume
 * @param timeLimitMinutes stop (with a checkpoint) once this much time has passed (0: no limit)
 */
public record TrainSettings(
        String method,
        int batchSize,
        int accum,
        int epochs,
        int steps,
        Double lr,
        double blr,
        double minLr,
        Double warmupEpochs,
        double warmupFraction,
        double weightDecay,
        double beta1,
        double beta2,
        double clipGrad,
        long seed,
        int workers,
        int checkpointEvery,
        int logEvery,
        int stopAfter,
        double timeLimitMinutes) {

    public TrainSettings {
        if (method == null || method.isBlank()) throw new IllegalArgumentException("method must be named");
        positive("batch size", batchSize);
        positive("accum", accum);
        imagesPerStep(batchSize, accum);
        if ((epochs > 0) == (steps > 0) || epochs < 0 || steps < 0) {
            throw new IllegalArgumentException("give the run length as epochs or as steps (exactly one positive), got epochs "
                    + epochs + ", steps " + steps);
        }
        if (lr != null && !(lr > 0 && Double.isFinite(lr))) throw new IllegalArgumentException("lr must be positive, got " + lr);
        if (!(blr > 0 && Double.isFinite(blr))) throw new IllegalArgumentException("blr must be positive, got " + blr);
        if (!(minLr >= 0 && Double.isFinite(minLr))) throw new IllegalArgumentException("min lr must be >= 0, got " + minLr);
        if (warmupEpochs != null && !(warmupEpochs >= 0 && Double.isFinite(warmupEpochs))) {
            throw new IllegalArgumentException("warmup epochs must be >= 0, got " + warmupEpochs);
        }
        if (!(warmupFraction >= 0 && warmupFraction < 1)) {
            throw new IllegalArgumentException("warmup fraction must be in [0, 1), got " + warmupFraction);
        }
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
        }
        if (!(clipGrad >= 0)) throw new IllegalArgumentException("grad clip must be >= 0 (0 = off), got " + clipGrad);
        if (workers < 0) throw new IllegalArgumentException("workers must be >= 0, got " + workers);
        positive("checkpoint interval", checkpointEvery);
        positive("log interval", logEvery);
        if (stopAfter < 0) throw new IllegalArgumentException("stop-after must be >= 0 (0 = never), got " + stopAfter);
        if (!(timeLimitMinutes >= 0)) throw new IllegalArgumentException("time limit must be >= 0 minutes, got " + timeLimitMinutes);
    }

    private static void positive(String what, int v) {
        if (v < 1) throw new IllegalArgumentException(what + " must be at least 1, got " + v);
    }

    /** The published recipe of {@code method} ("mae" or "cae"; anything else gets MAE's) at batch 256, one epoch. */
    public static TrainSettings forMethod(String method) {
        boolean cae = method.toLowerCase(Locale.ROOT).equals("cae");
        return new TrainSettings(method, 256, 1, 1, 0, null,
                cae ? 1.5e-3 * 256 / 2048 : 1.5e-4,
                cae ? 1e-5 : 0.0,
                null,
                cae ? 20.0 / 800 : 40.0 / 800,
                0.05,
                0.9, cae ? 0.999 : 0.95,
                cae ? 3.0 : 0.0,
                0, Math.min(4, Runtime.getRuntime().availableProcessors()), 200, 10, 0, 0);
    }

    /** Images per optimizer step, batchSize × accum. */
    public int effectiveBatch() {
        return imagesPerStep(batchSize, accum);
    }

    /** batch × accum, or an error in the options' words when the product does not fit an int (it would wrap). */
    private static int imagesPerStep(int batch, int accum) {
        try {
            return Math.multiplyExact(batch, accum);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("--batch " + batch + " × --accum " + accum + " = " + (long) batch * accum
                    + " images per step is more than " + Integer.MAX_VALUE);
        }
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Changes a few fields of a settings record; {@link #build} validates the result. */
    public static final class Builder {
        private String method;
        private int batchSize, accum, epochs, steps, workers, checkpointEvery, logEvery, stopAfter;
        private Double lr, warmupEpochs;
        private double blr, minLr, warmupFraction, weightDecay, beta1, beta2, clipGrad, timeLimitMinutes;
        private long seed;

        private Builder(TrainSettings s) {
            method = s.method;
            batchSize = s.batchSize;
            accum = s.accum;
            epochs = s.epochs;
            steps = s.steps;
            lr = s.lr;
            blr = s.blr;
            minLr = s.minLr;
            warmupEpochs = s.warmupEpochs;
            warmupFraction = s.warmupFraction;
            weightDecay = s.weightDecay;
            beta1 = s.beta1;
            beta2 = s.beta2;
            clipGrad = s.clipGrad;
            seed = s.seed;
            workers = s.workers;
            checkpointEvery = s.checkpointEvery;
            logEvery = s.logEvery;
            stopAfter = s.stopAfter;
            timeLimitMinutes = s.timeLimitMinutes;
        }

        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder accum(int v) { accum = v; return this; }
        /** Plans the run in epochs (clears steps). */
        public Builder epochs(int v) { epochs = v; steps = 0; return this; }
        /** Plans the run in optimizer steps (clears epochs). */
        public Builder steps(int v) { steps = v; epochs = 0; return this; }
        /** Absolute peak lr; null restores blr scaling. */
        public Builder lr(Double v) { lr = v; return this; }
        public Builder blr(double v) { blr = v; return this; }
        public Builder minLr(double v) { minLr = v; return this; }
        public Builder warmupEpochs(Double v) { warmupEpochs = v; return this; }
        public Builder warmupFraction(double v) { warmupFraction = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder betas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        public Builder clipGrad(double v) { clipGrad = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder logEvery(int v) { logEvery = v; return this; }
        public Builder stopAfter(int v) { stopAfter = v; return this; }
        public Builder timeLimitMinutes(double v) { timeLimitMinutes = v; return this; }

        public TrainSettings build() {
            return new TrainSettings(method, batchSize, accum, epochs, steps, lr, blr, minLr, warmupEpochs, warmupFraction,
                    weightDecay, beta1, beta2, clipGrad, seed, workers, checkpointEvery, logEvery, stopAfter, timeLimitMinutes);
        }
    }
}
