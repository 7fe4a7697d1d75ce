package dev.tessera.train;

import dev.tessera.data.Dataset;
import java.util.List;
import java.util.function.Consumer;

/**
 * The state of a run as a {@link RunListener} sees it: the run directory, the objective (model and backend),
 * the images to draw (the held-out set if one was given, else the training set: {@code heldOut} says which),
 * the seed, the step, the loss of every step so far, and a way to add a note to summary.json.
 */
public record RunEvent(RunDirectory dir, Objective objective, Dataset pictureImages, boolean heldOut, long seed, int step,
                       List<Double> losses, Consumer<String> noteSink) {
    /** Adds {@code note} (once) to the notes summary.json lists; null is ignored. */
    public void note(String note) {
        if (note != null) noteSink.accept(note);
    }
}
