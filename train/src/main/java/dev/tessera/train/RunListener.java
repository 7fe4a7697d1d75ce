package dev.tessera.train;

/**
 * What a run tells the code around it, so the trainer itself stays free of pictures, dashboards and anything
 * else a headless user may not want. {@link Pictures} (loss.png, recon.png) is one listener; a caller attaches
 * what it needs with {@link Trainer#listen}. Every method runs on the training thread after the trainer's own
 * files are safely written, so a listener that fails never costs a checkpoint; what it wants the run's
 * summary to say goes through {@link RunEvent#note}.
 */
public interface RunListener {
    /** After each line of metrics.jsonl is written (every --log-every steps and at the last step). */
    default void onMetrics(RunEvent run, StepMetrics metrics) {}

    /** After each checkpoint is written. */
    default void onCheckpoint(RunEvent run) {}

    /** When the run ends: finished, stopped, or failed (then {@code failure} is the reason, else null). */
    default void onEnd(RunEvent run, String failure) {}
}
