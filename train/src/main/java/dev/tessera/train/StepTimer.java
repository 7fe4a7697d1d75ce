package dev.tessera.train;

/** What {@link Trainer#timeSteps} reports: step {@code step} (1-based) took {@code nanos} of wall time. */
@FunctionalInterface
public interface StepTimer {
    void stepDone(int step, long nanos);
}
