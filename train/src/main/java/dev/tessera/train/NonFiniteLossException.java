package dev.tessera.train;

/**
 * Training stopped because a step's loss (or gradient norm) was NaN or infinite — MAE's loop does the same
 * ({@code engine_pretrain.py}: "Loss is {}, stopping training"). The parameters of that step were not
 * updated, no checkpoint was written after it, and the message says which step, which value and where the
 * last good checkpoint is.
 */
public final class NonFiniteLossException extends RuntimeException {
    private final int step;
    private final double value;

    public NonFiniteLossException(String message, int step, double value) {
        super(message);
        this.step = step;
        this.value = value;
    }

    /** The step (1-based) whose loss was not finite. */
    public int step() {
        return step;
    }

    public double value() {
        return value;
    }
}
