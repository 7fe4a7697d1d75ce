package dev.tessera.train;

import dev.tessera.engine.backend.Precision;
import java.util.List;

/**
 * config.json, and the copy inside every checkpoint: everything that defines a run, so that it can be read
 * back (resume, reconstruct) and so that a reader knows exactly what produced the numbers.
 *
 * @param tessera  the version that started the run
 * @param created  start time, ISO-8601
 * @param command  the command line, when started from the CLI (else empty)
 * @param model    method, preset and full configuration of the model
 * @param data     where the images come from
 * @param device   the backend's name, e.g. "cpu(2 threads)"
 * @param precision the arithmetic of GEMMs and attention, "fp32", "tf32" or "bf16" ({@link Precision}); absent (null)
 *                 in configs written before precision modes, which were fp32
 * @param settings every training setting, as given (including the seed)
 * @param plan     what the settings resolve to for this data: steps, peak lr, warmup
 */
public record RunConfig(String tessera, String created, List<String> command, ModelSpec model, DataSource data, String device,
                        String precision, TrainSettings settings, TrainingPlan plan) {
    public RunConfig {
        command = command == null ? List.of() : List.copyOf(command);
        if (precision != null) Precision.parse(precision);
    }

    /** The recorded precision; fp32 for a config written before precision modes. */
    public Precision precisionOrFp32() {
        return precision == null ? Precision.FP32 : Precision.parse(precision);
    }
}
