package dev.tessera.engine.optim;

import dev.tessera.engine.backend.UnaryOp;

/**
 * Global gradient-norm clipping, torch.nn.utils.clip_grad_norm_(params, maxNorm) over the whole flat
 * gradient buffer: total = ‖all gradients‖₂; if maxNorm/(total + 1e-6) &lt; 1, every gradient is multiplied by
 * that coefficient. MAE pre-training does not clip (docs/mae.md#pretraining-recipe); fine-tuning and CAE may.
 *
 * <p>Unlike torch, a non-finite total leaves the gradients untouched (torch would multiply them by NaN or
 * 0); the returned norm tells the trainer to stop or skip the step, as MAE's loop does for a non-finite loss.
 */
public final class GradClip {
    private GradClip() {}

    /** Clips in place; returns the norm before clipping. */
    public static float clipGlobalNorm(ParameterStore store, float maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("GradClip: maxNorm must be positive, got " + maxNorm);
        double total = globalNorm(store);
        double coef = maxNorm / (total + 1e-6);
        if (Double.isFinite(total) && coef < 1) {
            store.backend().unary(UnaryOp.SCALE, (float) coef, store.grads(), store.grads());
        }
        return (float) total;
    }

    /** ‖all packed gradients‖₂, without changing them. */
    public static double globalNorm(ParameterStore store) {
        return Norms.norm(store.backend(), store.grads());
    }
}
