package dev.tessera.train;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One line of metrics.jsonl, written every {@code logEvery} steps and at the last step.
 *
 * @param step      optimizer steps done (1 is the first update)
 * @param epoch     the fractional epoch at the start of this step — the e the lr schedule used
 * @param loss      this step's loss (the mean over its micro-batches)
 * @param lr        the lr this step used
 * @param imgPerSec training images per second since the previous line
 */
public record StepMetrics(int step, double epoch, double loss, double lr, @JsonProperty("img_s") double imgPerSec) {}
