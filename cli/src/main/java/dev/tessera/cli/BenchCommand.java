package dev.tessera.cli;

import dev.tessera.cae.CaeConfig;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Precision;
import dev.tessera.eval.ResultFile;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.CudaOptions;
import dev.tessera.mae.MaeConfig;
import dev.tessera.speed.DataBenchmark;
import dev.tessera.speed.StepBenchmark;
import dev.tessera.train.DataSource;
import dev.tessera.train.ModelSpec;
import dev.tessera.vit.ViTConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code tessera bench step|data}: the speed of a training step and of the data pipeline (dev.tessera.speed). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure speed: 'step' times whole training steps of a preset, 'data' the loader's images/s.",
        subcommands = {BenchCommand.Step.class, BenchCommand.Data.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "choose what to measure: tessera bench step | tessera bench data");
    }

    @Command(name = "step", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Time training steps (forward, backward, AdamW, as the trainer runs them) of an MAE or CAE preset, or supervised"
                    + " steps (cross-entropy) of a ViT classifier preset, on noise images.",
                    "Prints median ms/step, images/s, model TFLOP/s and MFU (when the GPU's peak is known or given), and the allocator's footprint."})
    static final class Step implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", paramLabel = "NAME", defaultValue = "mae-tiny",
                description = "An MAE or CAE preset, or a ViT classifier preset for a supervised step (default ${DEFAULT-VALUE};"
                        + " e.g. mae-vit-base-patch16, cae-vit-base-patch16, vit-tiny-28).")
        String model;

        @Option(names = "--batch", paramLabel = "B", defaultValue = "64", description = "Images per step (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--steps", paramLabel = "S", defaultValue = "20", description = "Measured steps (default ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--warmup", paramLabel = "W", defaultValue = "5", description = "Steps run first and not measured (default ${DEFAULT-VALUE}).")
        int warmup;

        @Mixin
        PrecisionOption precision;

        @Option(names = "--peak-tflops", paramLabel = "T", description = "The device's peak TFLOP/s for the MFU (default: known GPUs' data-sheet value).")
        Double peakTflops;

        @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--json", paramLabel = "FILE", description = "Also write the result (with every step's time) as JSON.")
        Path json;

        @Mixin
        DeviceOptions deviceOptions;

        @Override
        public void run() {
            if (batch < 1) throw new ParameterException(spec.commandLine(), "--batch must be at least 1, got " + batch);
            if (steps < 1) throw new ParameterException(spec.commandLine(), "--steps must be at least 1, got " + steps);
            if (warmup < 0) throw new ParameterException(spec.commandLine(), "--warmup must be >= 0, got " + warmup);
            Precision p = precision.get();
            if (peakTflops != null && !(peakTflops > 0)) throw new ParameterException(spec.commandLine(), "--peak-tflops must be positive, got " + peakTflops);
            boolean classifier = ViTConfig.presetNames().contains(model);
            ModelSpec ms = classifier ? null : modelSpec(model);
            PrintWriter out = spec.commandLine().getOut();
            CudaOptions props = CudaOptions.fromSystemProperties();
            try (Backend backend = deviceOptions.open(props.withPrecision(p), out::println)) {
                String problem = precisionProblem(backend, p);
                if (problem != null) throw new ParameterException(spec.commandLine(), problem);
                String gemm = gemmOf(backend), attention = attentionOf(backend);
                out.printf(Locale.ROOT, "%s, batch %d, %s: %d warm-up + %d measured steps%n",
                        classifier ? model + " (supervised)" : ms.describe(), batch, p.label(), warmup, steps);
                out.println("matmul: " + gemm);
                out.println("attention: " + attention);
                out.flush();
                var settings = new StepBenchmark.Settings(batch, warmup, steps, p.label(), peakTflops == null ? Double.NaN : peakTflops, seed);
                StepBenchmark.Result r = classifier ? StepBenchmark.runClassifier(ViTConfig.preset(model), backend, settings)
                        : StepBenchmark.run(ms, backend, settings);
                print(out, r);
                if (json != null) {
                    Map<String, Object> j = r.json();
                    j.put("gemm", gemm);
                    j.put("attention", attention);
                    ResultFile.write(json, j);
                }
            }
        }

        /**
         * Null when {@code backend} really computes at {@code precision}, else why not. A tf32 or bf16 result is measured
         * against the tensor-core peak, so it must come from the tensor-core kernels: the CUDA backend runs them in those
         * precisions (or refuses to start), and under fp32 a cuBLAS switched to TF32 (-Dtessera.cuda.tf32) would make an
         * "fp32" number a TF32 one. The CPU computes the rounded numerics on its fp32 units (no peak to compare with).
         */
        static String precisionProblem(Backend backend, Precision precision) {
            if (backend.precision() != precision) {
                return "--precision " + precision.label() + ": " + backend.name() + " computes in " + backend.precision().label();
            }
            if (backend instanceof CudaBackend c && c.gemmUsesTf32() != (precision == Precision.TF32)) {
                return "--precision " + precision.label() + ", but matmul runs " + c.gemmDescription()
                        + " (leave out -Dtessera.cuda.tf32, or measure --precision tf32)";
            }
            return null;
        }

        /** Which GEMM runs matmul on {@code backend}, for the output and the JSON ("gemm"). */
        static String gemmOf(Backend backend) {
            if (backend instanceof CudaBackend c) return c.gemmDescription();
            Precision p = backend.precision();
            return backend.name() + " SGEMM (Vector API, fp32" + (p == Precision.FP32 ? ")" : "; operands rounded to " + p.label() + " first)");
        }

        /** Which kernels run attention on {@code backend}, for the output and the JSON ("attention"). */
        static String attentionOf(Backend backend) {
            if (backend instanceof CudaBackend c) return c.attentionDescription();
            return backend.name() + (backend.precision() == Precision.BF16 ? " attention with the flash kernel's bf16 roundings"
                    : " attention (fp32)");
        }

        private ModelSpec modelSpec(String name) {
            if (CaeConfig.presetNames().contains(name)) return ModelSpec.of(CaeConfig.preset(name).withPixelTarget(), null);
            try {
                return ModelSpec.of(MaeConfig.preset(name));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--model " + name + ": not an MAE, CAE or ViT preset; valid: "
                        + String.join(", ", MaeConfig.presetNames()) + ", " + String.join(", ", CaeConfig.presetNames()) + ", "
                        + String.join(", ", ViTConfig.presetNames()));
            }
        }

        private static void print(PrintWriter out, StepBenchmark.Result r) {
            out.printf(Locale.ROOT, "step: median %.1f ms (p10 %.1f, p90 %.1f) → %.1f images/s; process CPU time %.1f ms/step (median)%n",
                    r.medianMillis(), r.percentile(10), r.percentile(90), r.imagesPerSecond(), r.medianCpuMillis());
            OptionalDouble peak = r.peakTflops();
            out.printf(Locale.ROOT, "model FLOPs: %.2f GFLOP per training image (%.2f G forward MACs) → %.3f TFLOP/s%s%n",
                    r.flops().trainingFlops() / 1e9, r.flops().forwardMacs() / 1e9, r.achievedTflops(),
                    peak.isPresent() ? String.format(Locale.ROOT, ", MFU %.1f%% of %.1f TFLOP/s", 100 * r.achievedTflops() / peak.getAsDouble(),
                            peak.getAsDouble()) : " (MFU: peak unknown for this device; give --peak-tflops)");
            out.printf(Locale.ROOT, "memory: the allocator holds %.1f MiB (live + pooled) after the run%n", r.footprintBytes() / 1048576.0);
            out.flush();
        }
    }

    @Command(name = "data", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Measure the training data pipeline alone: images/s the loader delivers (decode, random-resized crop, flip,"
                    + " normalise) with W workers; compare with 'tessera bench step' images/s."})
    static final class Data implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--data", paramLabel = "DIR", defaultValue = "fashion-mnist",
                description = "'fashion-mnist' (default) or an image folder DIR/<class>/*.jpg|png (DIR/train when it has train/ and val/).")
        String data;

        @Option(names = "--crop", paramLabel = "PX", defaultValue = "224", description = "Random-resized-crop size for an image folder (default ${DEFAULT-VALUE}).")
        int crop;

        @Option(names = "--channels", paramLabel = "C", defaultValue = "3", description = "Channels an image folder is decoded to (default ${DEFAULT-VALUE}).")
        int channels;

        @Option(names = "--workers", paramLabel = "W", description = "Decoding threads (default min(4, cores)).")
        Integer workers;

        @Option(names = "--batch", paramLabel = "B", defaultValue = "128", description = "Images per batch (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--batches", paramLabel = "N", defaultValue = "50", description = "Measured batches (default ${DEFAULT-VALUE}).")
        int batches;

        @Option(names = "--warmup", paramLabel = "N", defaultValue = "5", description = "Batches loaded first and not measured (default ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--json", paramLabel = "FILE", description = "Also write the result as JSON.")
        Path json;

        @Override
        public void run() {
            int w = workers != null ? workers : Math.min(4, Runtime.getRuntime().availableProcessors());
            if (w < 0) throw new ParameterException(spec.commandLine(), "--workers must be >= 0, got " + w);
            if (batch < 1 || batches < 1) throw new ParameterException(spec.commandLine(), "--batch and --batches must be at least 1");
            if (warmup < 0) throw new ParameterException(spec.commandLine(), "--warmup must be >= 0, got " + warmup);
            if (crop < 1) throw new ParameterException(spec.commandLine(), "--crop must be at least 1, got " + crop);
            if (channels != 1 && channels != 3) throw new ParameterException(spec.commandLine(), "--channels must be 1 or 3, got " + channels);
            DataSource source = DataSource.parse(data, data.equals(DataSource.FASHION_MNIST) ? 0 : crop);
            DataSource.Opened opened = source.open(channels, crop);
            PrintWriter out = spec.commandLine().getOut();
            out.println("data: " + opened.description());
            out.flush();
            DataBenchmark.Result r = DataBenchmark.run(opened.train(), opened.description(), new DataBenchmark.Settings(batch, w, warmup, batches, 0));
            out.printf(Locale.ROOT, "loader: %.1f images/s with %d workers (%d images in %.2f s, batch %d)%n", r.imagesPerSecond(), w, r.images(),
                    r.seconds(), batch);
            out.flush();
            if (json != null) ResultFile.write(json, r.json());
        }
    }
}
