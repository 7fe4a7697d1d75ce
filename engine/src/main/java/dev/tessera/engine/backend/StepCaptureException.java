package dev.tessera.engine.backend;

/**
 * {@link Backend#captureStep} could not record the step (the driver refused a call during capture, the step
 * uploaded or read back data, or needed memory the cache did not hold). Nothing was run and nothing is held; the
 * caller runs the step eagerly instead.
 */
public final class StepCaptureException extends RuntimeException {
    public StepCaptureException(String message, Throwable cause) {
        super(message, cause);
    }
}
