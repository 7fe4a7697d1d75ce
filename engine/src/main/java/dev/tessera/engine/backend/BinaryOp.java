package dev.tessera.engine.backend;

/**
 * Elementwise functions of two floats, applied with NumPy broadcasting (a stride of 0 repeats an element).
 * The *_GRAD entries are the backward rules of unary ops, fused so the backward pass needs one kernel:
 * a is the forward input (or output, for TANH_GRAD), b is the incoming gradient.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN,
    /** b·gelu'(a), with gelu'(x) = Φ(x) + x·φ(x). */
    GELU_GRAD,
    /** b·[a > 0]. */
    RELU_GRAD,
    /** b·(1 − a²) where a = tanh(x) is the forward output. */
    TANH_GRAD;

    public float apply(float a, float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case GELU_GRAD -> {
                double cdf = 0.5 * (1.0 + Erf.erf(a / Math.sqrt(2.0)));
                double pdf = Math.exp(-0.5 * (double) a * a) / Math.sqrt(2.0 * Math.PI);
                yield (float) (b * (cdf + a * pdf));
            }
            case RELU_GRAD -> a > 0 ? b : 0f;
            case TANH_GRAD -> b * (1f - a * a);
        };
    }
}
