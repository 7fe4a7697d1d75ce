package dev.tessera.engine.backend;

/** Elementwise functions of one float (and an optional scalar parameter {@code p}). */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, RSQRT, TANH, RELU,
    /** GELU, exact erf form: x·Φ(x) = ½x(1 + erf(x/√2)) (docs/vit.md#block). */
    GELU,
    RECIPROCAL, SQUARE,
    /** x^p. */
    POW,
    /** p·x. */
    SCALE,
    /** x + p. */
    ADD_SCALAR;

    /** The scalar definition; backends must agree with it (the CPU backend uses it directly). */
    public float apply(float x, float p) {
        return switch (this) {
            case NEG -> -x;
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> (float) (1.0 / Math.sqrt(x));
            case TANH -> (float) Math.tanh(x);
            case RELU -> x > 0 ? x : 0f;
            case GELU -> (float) (0.5 * x * (1.0 + Erf.erf(x / Math.sqrt(2.0))));
            case RECIPROCAL -> 1f / x;
            case SQUARE -> x * x;
            case POW -> (float) Math.pow(x, p);
            case SCALE -> p * x;
            case ADD_SCALAR -> x + p;
        };
    }
}
