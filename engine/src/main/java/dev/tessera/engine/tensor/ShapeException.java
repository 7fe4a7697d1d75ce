package dev.tessera.engine.tensor;

/** An op received tensors whose shapes it cannot combine; the message names the op and the shapes. */
public final class ShapeException extends IllegalArgumentException {
    public ShapeException(String message) {
        super(message);
    }
}
