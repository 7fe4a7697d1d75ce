package dev.tessera.train;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line of metrics.jsonl, written every {@code logEvery} steps and at the last step.
 *
 * @param step      optimizer steps done (1 is the first update)
 * @param epoch     the fractional epoch at the start of this step — the e the lr schedule used
 * @param loss      this step's loss (the mean over its micro-batches)
 * @param lr        the lr this step used
 * @param imgPerSec training images per second since the previous line
 * @param parts     the terms the loss is made of, when the objective names them ({@link Objective#lossTermNames}: CAE's
 *                  {@code loss_main} and {@code loss_align}), means over the step's micro-batches, and
 *                  {@code grad_norm}, the global gradient norm before clipping, when the run clips; written as fields
 *                  of the line itself
 */
public record StepMetrics(int step, double epoch, double loss, double lr, @JsonProperty("img_s") double imgPerSec,
                          @JsonAnyGetter @JsonAnySetter Map<String, Double> parts) {

    public StepMetrics {
        parts = parts == null ? new LinkedHashMap<>() : new LinkedHashMap<>(parts);
    }

    /** A line without loss parts. */
    public StepMetrics(int step, double epoch, double loss, double lr, double imgPerSec) {
        this(step, epoch, loss, lr, imgPerSec, Map.of());
    }
}
