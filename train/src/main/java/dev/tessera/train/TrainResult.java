package dev.tessera.train;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Module;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@link Trainer#run} hands back: the trained objective (its model holds the final weights, on
 * {@code backend}), where the files went, and how the run went.
 *
 * @param runDir          the run directory, or null when the run wrote no files
 * @param steps           optimizer steps done in total (including those before a resume)
 * @param totalSteps      steps planned
 * @param losses          the loss of every step, index i = step i+1 (including those before a resume)
 * @param minutes         wall time of this session
 * @param imagesPerSecond training images per second over this session
 * @param stopReason      null when the run finished its plan, else why it stopped early
 */
public record TrainResult(Objective objective, Backend backend, Path runDir, int steps, int totalSteps, List<Double> losses,
                          double minutes, double imagesPerSecond, String stopReason) {
    public TrainResult {
        losses = List.copyOf(losses);
    }

    /** The trained model. */
    public Module model() {
        return objective.model();
    }

    /** The last step's loss, NaN when no step ran. */
    public double finalLoss() {
        return losses.isEmpty() ? Double.NaN : losses.getLast();
    }

    public boolean finished() {
        return stopReason == null;
    }
}
