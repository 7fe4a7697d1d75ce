package dev.tessera.engine.backend;

import java.util.Locale;

/**
 * The arithmetic of a backend's GEMMs and attention, as {@code torch.autocast(dtype=torch.bfloat16)} and
 * {@code torch.backends.cuda.matmul.allow_tf32} define it. Storage stays float32 everywhere: parameters (the
 * master weights), gradients, optimizer moments and activations. Only the <b>inputs</b> of the products are
 * rounded, and every product is summed in fp32:
 * <ul>
 *   <li>{@link #FP32}: nothing rounded.</li>
 *   <li>{@link #TF32}: the two operands of every {@link Backend#matmul} (linear layers forward and backward,
 *       matmul, batched matmul) rounded to tf32 — 10 mantissa bits, round to nearest with ties <em>away from
 *       zero</em>, which is what {@code cvt.rna.tf32.f32} does in our tensor-core GEMM (the PTX ISA gives tf32
 *       conversion only the {@code .rna} mode on sm_80). Attention stays fp32.</li>
 *   <li>{@link #BF16}: the operands of every matmul rounded to bf16 (8 mantissa bits, round to nearest even,
 *       {@code cvt.rn.bf16.f32} and {@code torch.bfloat16}); attention's q, k, v (and dout in backward) rounded to
 *       bf16, and also the probabilities P before P·v and the score gradients dS before dS·k / dSᵀ·q, as the
 *       FlashAttention-2 kernel feeds them to the tensor cores.</li>
 * </ul>
 * LayerNorm, softmax, GELU and every elementwise op, reductions (losses, norms, statistics), gather/scatter and
 * AdamW compute in fp32 in every mode, as autocast keeps them. docs/precision.md lists every op.
 */
public enum Precision {
    FP32,
    TF32,
    BF16;

    /** "fp32", "tf32" or "bf16": the spelling of the {@code --precision} option and of recorded results. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code fp32 | tf32 | bf16} (any case); the message names the allowed values. */
    public static Precision parse(String s) {
        String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "fp32" -> FP32;
            case "tf32" -> TF32;
            case "bf16" -> BF16;
            default -> throw new IllegalArgumentException("--precision must be fp32, tf32 or bf16, got '" + s + "'");
        };
    }

    /** Whether the GEMM operands are rounded (tf32 or bf16). */
    public boolean roundsMatmul() {
        return this != FP32;
    }

    /** Whether attention's operands are rounded (bf16 only: tf32 leaves attention in fp32). */
    public boolean roundsAttention() {
        return this == BF16;
    }

    /** {@code x} as a GEMM operand of this precision: rounded to tf32 or bf16, unchanged in fp32. */
    public float round(float x) {
        return switch (this) {
            case FP32 -> x;
            case TF32 -> tf32(x);
            case BF16 -> bf16(x);
        };
    }

    /** {@code dst[dstOff + i] = round(src[srcOff + i])} for i &lt; n. */
    public void round(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        switch (this) {
            case FP32 -> System.arraycopy(src, srcOff, dst, dstOff, n);
            case TF32 -> { for (int i = 0; i < n; i++) dst[dstOff + i] = tf32(src[srcOff + i]); }
            case BF16 -> { for (int i = 0; i < n; i++) dst[dstOff + i] = bf16(src[srcOff + i]); }
        }
    }

    /**
     * The 16 bits of {@code x} rounded to bf16 (round to nearest, ties to even), NaN as the canonical 0x7fff. A
     * bf16 is the top half of an fp32: sign, 8 exponent bits, 7 mantissa bits.
     */
    public static int bf16Bits(float x) {
        if (Float.isNaN(x)) return 0x7fff;
        int u = Float.floatToRawIntBits(x);
        u += 0x7fff + ((u >>> 16) & 1);  // half of the dropped 16 bits, plus one when the kept part is odd
        return u >>> 16;
    }

    /** {@code x} rounded to the nearest bf16 (ties to even), as an fp32. */
    public static float bf16(float x) {
        return Float.intBitsToFloat(bf16Bits(x) << 16);
    }

    /**
     * {@code x} rounded to tf32 (sign, 8 exponent bits, 10 mantissa bits; the low 13 bits cleared) to nearest
     * with ties away from zero, as {@code cvt.rna.tf32.f32}; NaN stays NaN, a magnitude past the largest tf32
     * rounds to infinity.
     */
    public static float tf32(float x) {
        if (Float.isNaN(x)) return x;
        int u = Float.floatToRawIntBits(x);
        return Float.intBitsToFloat((u + 0x1000) & 0xffffe000);
    }
}
