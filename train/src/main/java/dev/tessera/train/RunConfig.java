package dev.tessera.train;

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
 * @param settings every training setting, as given (including the seed)
 * @param plan     what the settings resolve to for this data: steps, peak lr, warmup
 */
public record RunConfig(String tessera, String created, List<String> command, ModelSpec model, DataSource data, String device,
                        TrainSettings settings, TrainingPlan plan) {
    public RunConfig {
        command = command == null ? List.of() : List.copyOf(command);
    }
}
