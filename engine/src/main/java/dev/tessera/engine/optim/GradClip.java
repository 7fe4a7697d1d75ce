package dev.tessera.engine.optim;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.StepScope;

/**
 * Global gradient-norm clipping, torch.nn.utils.clip_grad_norm_(params, maxNorm) over the whole flat
 * gradient buffer: total = ‖all gradients‖₂; if maxNorm/(total + 1e-6) &lt; 1, every gradient is multiplied by
 * that coefficient. MAE pre-training does not clip (docs/mae.md#pretraining-recipe); fine-tuning and CAE may.
 *
 * <p>Unlike torch, a non-finite total leaves the gradients untouched (torch would multiply them by NaN or
 * 0); the norm tells the trainer to stop or skip the step, as MAE's loop does for a non-finite loss.
 *
 * <p>One fused backend op ({@link Backend#clipGlobalNorm}) computes the norm, the coefficient and the scaling
 * on the device; {@link #clipGlobalNorm(ParameterStore, float, Buffer)} leaves the norm there, so a training
 * step that clips need not wait for the device.
 */
public final class GradClip {
    private GradClip() {}

    /** Clips in place; returns the norm before clipping (reading it back waits for the device). */
    public static float clipGlobalNorm(ParameterStore store, float maxNorm) {
        Backend be = store.backend();
        try (StepScope _ = be.openScope()) {
            Buffer norm = be.allocateUninitialized(1);
            clipGlobalNorm(store, maxNorm, norm);
            return be.download(norm)[0];
        }
    }

    /** Clips in place and writes the norm before clipping to {@code norm} [1], without reading anything back. */
    public static void clipGlobalNorm(ParameterStore store, float maxNorm, Buffer norm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("GradClip: maxNorm must be positive, got " + maxNorm);
        store.backend().clipGlobalNorm(store.grads(), maxNorm, norm);
    }

    /** ‖all packed gradients‖₂, without changing them. */
    public static double globalNorm(ParameterStore store) {
        return Norms.norm(store.backend(), store.grads());
    }
}
