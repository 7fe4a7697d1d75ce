package dev.tessera.engine.nn;

import dev.tessera.engine.tensor.Tensor;

/**
 * A trainable tensor owned by a module. The tensor object stays the same for the model's lifetime (ops hold
 * on to it), but its storage may be re-pointed into one flat buffer by {@code optim.ParameterStore}, so the
 * optimizer updates every parameter with one fused kernel and checkpoints are one write.
 */
public final class Parameter {
    private final Tensor tensor;
    private boolean trainable = true;

    Parameter(Tensor tensor) {
        this.tensor = tensor.requiresGrad(true);
    }

    /** The value, as used in forward passes. */
    public Tensor tensor() {
        return tensor;
    }

    public int[] shape() {
        return tensor.shape();
    }

    public int numel() {
        return tensor.numel();
    }

    public boolean trainable() {
        return trainable;
    }

    /** Freezes or unfreezes (linear probing freezes the encoder). Frozen parameters record no gradient. */
    public void setTrainable(boolean on) {
        trainable = on;
        tensor.requiresGrad(on);
    }
}
