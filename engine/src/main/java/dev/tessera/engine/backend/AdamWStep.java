package dev.tessera.engine.backend;

/**
 * Hyper-parameters of one fused AdamW update over a flat range of parameters (Loshchilov and Hutter,
 * decoupled weight decay): p ← p − lr·(m̂/(√v̂ + eps) + wd·p), with bias corrections 1−β^t.
 *
 * @param step 1-based step count t used by the bias corrections
 */
public record AdamWStep(float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
    /** How many floats {@link #scalars} has (the device block {@link Backend#adamWScalars} writes). */
    public static final int SCALARS = 8;

    /**
     * The update's float constants in the order the kernels read them: β1, β2, 1−β1, 1−β2, eps,
     * stepSize = lr/(1−β1^t), bc2Sqrt = √(1−β2^t), decay = 1 − lr·wd. The bias corrections are computed in double
     * and rounded once, the same on every backend, so every backend's update is bit-identical.
     */
    public float[] scalars() {
        double bc1 = 1.0 - Math.pow(beta1, step);
        double bc2 = 1.0 - Math.pow(beta2, step);
        return new float[] {beta1, beta2, 1 - beta1, 1 - beta2, eps, (float) (lr / bc1), (float) Math.sqrt(bc2),
                1f - lr * weightDecay};
    }
}
