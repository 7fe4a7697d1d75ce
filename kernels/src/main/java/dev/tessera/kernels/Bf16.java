package dev.tessera.kernels;

import dev.tessera.engine.backend.Precision;

/**
 * bf16 on the host: rounding fp32 to bf16 (round to nearest, ties to even — what {@code cvt.rn.bf16.f32}
 * does on the GPU and {@code torch.bfloat16} does on the CPU) and packing bf16 values two per 32-bit element
 * for the kernels that read bf16 storage ({@code const bf16_t*}: element 2i in the low half of int i).
 * A bf16 is the top 16 bits of an fp32: sign, 8 exponent bits, 7 mantissa bits.
 */
public final class Bf16 {
    private Bf16() {}

    /** The 16 bits of {@code x} rounded to bf16; NaN becomes the canonical 0x7fff ({@link Precision#bf16Bits}). */
    public static int bits(float x) {
        return Precision.bf16Bits(x);
    }

    /** {@code x} rounded to the nearest bf16, as an fp32. */
    public static float round(float x) {
        return Precision.bf16(x);
    }

    /** Every element rounded to bf16 (a new array). */
    public static float[] round(float[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) r[i] = round(x[i]);
        return r;
    }

    /** Rounded to bf16 and packed two per int (element 2i low, 2i+1 high; an odd tail is padded with 0). */
    public static int[] pack(float[] x) {
        int[] p = new int[(x.length + 1) / 2];
        for (int i = 0; i < x.length; i++) p[i >> 1] |= bits(x[i]) << (16 * (i & 1));
        return p;
    }
}
