package dev.tessera.engine.backend;

/**
 * Hyper-parameters of one fused AdamW update over a flat range of parameters (Loshchilov and Hutter,
 * decoupled weight decay): p ← p − lr·(m̂/(√v̂ + eps) + wd·p), with bias corrections 1−β^t.
 *
 * @param step 1-based step count t used by the bias corrections
 */
public record AdamWStep(float lr, float beta1, float beta2, float eps, float weightDecay, int step) {}
