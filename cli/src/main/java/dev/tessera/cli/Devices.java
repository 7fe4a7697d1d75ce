package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Precision;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.CudaOptions;
import dev.tessera.kernels.CudaProbe;
import dev.tessera.kernels.CudaStatus;
import dev.tessera.kernels.CudaUnavailableException;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one place where a {@link Backend} is chosen (nothing is discovered on the class path, and nothing falls back silently): {@code cpu}, {@code cuda}
 * (device 0) or {@code auto} (CUDA when {@link CudaProbe} says it can start, else the CPU). The choice is
 * reported once, with the reason when {@code auto} fell back to the CPU. Asking for {@code cuda} where it
 * cannot start is an error naming the missing piece, never a silent fallback.
 */
public final class Devices {
    private Devices() {}

    /** Opens the backend and prints the choice once on stderr. */
    public static Backend open(String device, int threads) {
        return open(device, threads, line -> System.err.println(line));
    }

    /**
     * Opens {@code device} ("auto", "cpu" or "cuda") with {@code threads} CPU threads (used by the CPU backend
     * and ignored by CUDA); {@code log} receives one line saying what was chosen and why.
     */
    public static Backend open(String device, int threads, Consumer<String> log) {
        return open(device, threads, Precision.FP32, log);
    }

    /**
     * As above, GEMMs and attention computing in {@code precision}: the CUDA backend on tensor cores (or refusing to
     * start on a GPU without them), the CPU backend with the same roundings. The log line names the precision.
     */
    public static Backend open(String device, int threads, Precision precision, Consumer<String> log) {
        return open(device, threads, () -> CudaOptions.fromSystemProperties().withPrecision(precision), precision, log);
    }

    /** As above, with the CUDA backend's switches (and its precision) given rather than read from system properties. */
    public static Backend open(String device, int threads, CudaOptions cuda, Consumer<String> log) {
        return open(device, threads, () -> cuda, cuda.precision(), log);
    }

    /** {@code cuda} is asked only when a CUDA backend is opened, so the CPU never reads the CUDA switches. */
    private static Backend open(String device, int threads, Supplier<CudaOptions> cuda, Precision precision, Consumer<String> log) {
        Consumer<String> withPrecision = precision == Precision.FP32 ? log : line -> log.accept(line + ", precision " + precision.label());
        Backend b = openBackend(device, threads, cuda, precision, withPrecision);
        if (b.precision() != precision) {   // a backend that ignored the setting must never run under its label
            String got = b.precision().label();
            b.close();
            throw new IllegalStateException(b.name() + " computes in " + got + ", not the --precision " + precision.label() + " asked for");
        }
        return b;
    }

    private static Backend openBackend(String device, int threads, Supplier<CudaOptions> cuda, Precision precision, Consumer<String> log) {
        if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        String d = device == null ? "auto" : device.trim().toLowerCase(Locale.ROOT);
        switch (d) {
            case "cpu" -> {
                Backend b = new CpuBackend(threads, precision);
                log.accept("device: " + b.name());
                return b;
            }
            case "cuda" -> {
                CudaStatus s = CudaProbe.probe();
                if (!s.available()) throw new CudaUnavailableException(s.reason());
                Backend b = new CudaBackend(Distributed.cudaDevice(), cuda.get());
                log.accept("device: " + b.name());
                return b;
            }
            case "auto" -> {
                CudaStatus s = CudaProbe.probe();
                if (s.available()) {
                    Backend b = new CudaBackend(Distributed.cudaDevice(), cuda.get());
                    log.accept("device: " + b.name() + " (auto)");
                    return b;
                }
                Backend b = new CpuBackend(threads, precision);
                log.accept("device: " + b.name() + " (auto; " + s.reason() + ")");
                return b;
            }
            default -> throw new IllegalArgumentException("--device must be auto, cpu or cuda, got '" + device + "'");
        }
    }

    /** One line for {@code tessera info}: the GPU and its GEMM when CUDA is usable, else why it is not. */
    public static String cudaSummary() {
        CudaStatus s = CudaProbe.probe();
        return s.available() ? "usable: " + s.describe() + "\n        precisions: " + s.precisions() : "unusable: " + s.reason();
    }
}
