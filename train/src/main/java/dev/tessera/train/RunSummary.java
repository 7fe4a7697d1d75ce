package dev.tessera.train;

import java.util.List;
import java.util.Map;

/**
 * summary.json, written when a run ends — finished, stopped early, or stopped by a non-finite loss.
 *
 * @param status          "finished", "stopped: …" or "failed: …"
 * @param precision       the arithmetic of GEMMs and attention: "fp32", "tf32" or "bf16"
 * @param steps           optimizer steps done
 * @param totalSteps      steps planned
 * @param epochs          fractional epochs done
 * @param finalLoss       the last step's loss (null when no step ran)
 * @param minutes         wall time of this session (since start or resume)
 * @param imgPerSec       training images per second over this session
 * @param resumedFromStep the checkpoint step this session started from (null for a fresh run)
 * @param paths           the run directory's files, by role
 * @param notes           anything a reader should know (pictures skipped, data caveats)
 */
public record RunSummary(String status, String method, String model, String precision, int steps, int totalSteps, double epochs, Double finalLoss,
                         double minutes, double imgPerSec, Integer resumedFromStep, Map<String, String> paths, List<String> notes) {}
