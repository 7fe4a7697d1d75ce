package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.kernels.CudaOptions;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --device} and {@code --threads}, for the commands that open one backend (a picocli mixin). */
final class DeviceOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "auto", description = "auto, cpu or cuda (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all cores; at most 4 × the cores).")
    Integer threads;

    /** Validates --threads and opens the backend through {@link Devices#open}, which logs its choice. */
    Backend open(Consumer<String> log) {
        return Devices.open(device, threads(), log);
    }

    /** The same with the CUDA backend's switches given (e.g. TF32 for {@code bench step --precision tf32}). */
    Backend open(CudaOptions cuda, Consumer<String> log) {
        return Devices.open(device, threads(), cuda, log);
    }

    private int threads() {
        return Checks.threads(mixee.commandLine(), threads);
    }
}
