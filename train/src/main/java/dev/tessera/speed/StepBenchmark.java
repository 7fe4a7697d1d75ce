package dev.tessera.speed;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.MemoryStats;
import dev.tessera.train.ModelSpec;
import dev.tessera.train.Objective;
import dev.tessera.train.TrainSettings;
import dev.tessera.train.Trainer;
import dev.tessera.vit.ViTConfig;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * {@code tessera bench step}: the wall time of whole training steps (pre-training, or a supervised classifier's
 * cross-entropy step for a ViT preset: {@link ClassifierObjective}), exactly as the {@link Trainer} runs them
 * (the trainer itself runs them, timing each with {@link Trainer#timeSteps}): loader hand-off, forward in a step
 * scope, backward, clipping, AdamW, the backend synchronised at the end. The images are seeded Gaussian noise
 * held in memory ({@link NoiseImages}), so the data pipeline costs a copy; {@code tessera bench data} measures
 * that pipeline on its own. The first {@code warmup} steps (JIT, buffer pools, cuBLAS heuristics) are not counted.
 *
 * <p>Reported: median, 10th and 90th percentile ms per step; images/s at the median; model TFLOP/s from
 * {@link TrainingFlops} (the analytic count, not the kernels' actual work: the MFU convention) and the MFU when
 * the device's peak is known; the allocator's footprint after the run (live + pooled bytes: what the caching
 * allocator holds, the counterpart of PyTorch's max_memory_reserved). Beside each step's wall time, the process
 * CPU time (all threads) between the ends of consecutive steps: the steadier figure on a shared machine, where
 * other processes stretch wall time but not the work done; it includes the loader's hand-off and the trainer's
 * bookkeeping between steps, a small fraction of a step.
 */
public final class StepBenchmark {

    /**
     * @param batch     images per step
     * @param warmup    steps run before the measured ones
     * @param steps     measured steps
     * @param precision "fp32", "tf32" or "bf16" (recorded; the backend was opened with it)
     * @param peakTflops the device's peak for the MFU, or NaN to look it up ({@link PeakFlops})
     * @param seed      seed of the model, the masks and the noise
     */
    public record Settings(int batch, int warmup, int steps, String precision, double peakTflops, long seed) {
        public Settings {
            if (batch < 1 || warmup < 0 || steps < 1) {
                throw new IllegalArgumentException("need batch >= 1, warmup >= 0, steps >= 1; got " + batch + ", " + warmup + ", " + steps);
            }
            dev.tessera.engine.backend.Precision.parse(precision);
        }
    }

    /** What one benchmark measured; times in milliseconds. */
    public record Result(String model, String device, Settings settings, double[] stepMillis, double[] cpuMillis,
                         TrainingFlops flops, MemoryStats memory) {

        public double medianMillis() {
            return percentile(50);
        }

        /** The p-th percentile (nearest rank) of the measured step times. */
        public double percentile(double p) {
            double[] s = stepMillis.clone();
            Arrays.sort(s);
            int rank = (int) Math.ceil(p / 100 * s.length);
            return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
        }

        /** The median process CPU time per step (all threads), lower median for an even count like {@link #medianMillis}. */
        public double medianCpuMillis() {
            double[] c = cpuMillis.clone();
            Arrays.sort(c);
            return c[(c.length - 1) / 2];
        }

        public double imagesPerSecond() {
            return settings.batch() * 1000.0 / medianMillis();
        }

        /** Model FLOP/s at the median step, in TFLOP/s. */
        public double achievedTflops() {
            return flops.trainingFlops() * imagesPerSecond() / 1e12;
        }

        /** The peak this result is divided by: the given one, else the known device's, else empty. */
        public OptionalDouble peakTflops() {
            return Double.isNaN(settings.peakTflops()) ? PeakFlops.lookup(device, settings.precision()) : OptionalDouble.of(settings.peakTflops());
        }

        /** Bytes the allocator holds: live + pooled. */
        public long footprintBytes() {
            return memory.liveBytes() + memory.pooledBytes();
        }

        public Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model);
            j.put("device", device);
            j.put("batch", settings.batch());
            j.put("precision", settings.precision());
            j.put("warmup_steps", settings.warmup());
            j.put("measured_steps", settings.steps());
            j.put("median_ms", medianMillis());
            j.put("p10_ms", percentile(10));
            j.put("p90_ms", percentile(90));
            j.put("img_per_s", imagesPerSecond());
            j.put("training_gflop_per_image", flops.trainingFlops() / 1e9);
            j.put("forward_gmac_per_image", flops.forwardMacs() / 1e9);
            j.put("model_tflops", achievedTflops());
            OptionalDouble peak = peakTflops();
            j.put("peak_tflops", peak.isPresent() ? peak.getAsDouble() : null);
            j.put("mfu", peak.isPresent() ? achievedTflops() / peak.getAsDouble() : null);
            j.put("allocator_bytes", footprintBytes());
            j.put("step_ms", stepMillis);
            // JSON has no NaN: a step whose CPU time this system cannot read (no process clock) is null.
            double medianCpu = medianCpuMillis();
            j.put("median_cpu_ms", Double.isFinite(medianCpu) ? medianCpu : null);
            j.put("step_cpu_ms", Arrays.stream(cpuMillis).mapToObj(c -> Double.isFinite(c) ? (Object) c : null).toList());
            return j;
        }
    }

    private StepBenchmark() {}

    /** Builds the pre-training {@code model} on {@code backend} and times its steps. */
    public static Result run(ModelSpec model, Backend backend, Settings s) {
        TrainingFlops flops = switch (model.method()) {
            case "mae" -> TrainingFlops.mae(model.maeConfig());
            case "cae" -> TrainingFlops.cae(model.caeConfig());
            default -> throw new IllegalArgumentException("no FLOP count for method " + model.method());
        };
        return time(model.build(backend, s.seed()), TrainSettings.forMethod(model.method()), model.describe(), flops, s);
    }

    /**
     * Builds the ViT classifier {@code config} and times supervised steps: cross-entropy, backward, AdamW with
     * betas (0.9, 0.999) and weight decay 0.05 (MAE's fine-tuning optimiser, docs/mae.md#fine-tuning), no clipping.
     */
    public static Result runClassifier(ViTConfig config, Backend backend, Settings s) {
        ClassifierObjective objective = new ClassifierObjective(config, backend, s.seed());
        TrainSettings recipe = TrainSettings.forMethod("vit").toBuilder().betas(0.9, 0.999).build();
        return time(objective, recipe, config.name() + " (supervised)", TrainingFlops.vit(config), s);
    }

    private static Result time(Objective objective, TrainSettings recipe, String describe, TrainingFlops flops, Settings s) {
        int[] shape = objective.imageShape();
        if (shape[1] != shape[2]) throw new IllegalArgumentException(describe + " takes non-square images " + Arrays.toString(shape));
        int total = s.warmup() + s.steps();
        NoiseImages images = new NoiseImages(Math.multiplyExact(total, s.batch()), s.batch(), shape[0], shape[1], s.seed());
        TrainSettings ts = recipe.toBuilder().batchSize(s.batch()).steps(total).seed(s.seed())
                .checkpointEvery(total).logEvery(total).build();
        double[] millis = new double[s.steps()], cpu = new double[s.steps()];
        long[] lastCpu = {ProcessClock.nanos()};
        new Trainer(objective, images, ts).log(null, false).timeSteps((step, nanos) -> {
            long c = ProcessClock.nanos();
            if (step > s.warmup()) {
                millis[step - s.warmup() - 1] = nanos / 1e6;
                cpu[step - s.warmup() - 1] = c < 0 || lastCpu[0] < 0 ? Double.NaN : (c - lastCpu[0]) / 1e6;
            }
            lastCpu[0] = c;
        }).run();
        Backend backend = objective.backend();
        return new Result(describe, backend.name(), s, millis, cpu, flops, backend.memoryStats());
    }
}
