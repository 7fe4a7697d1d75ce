package dev.tessera.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The two roundings bit by bit: bf16 to nearest with ties to even (cvt.rn.bf16.f32, torch.bfloat16), tf32 to
 * nearest with ties away from zero (cvt.rna.tf32.f32), on exact halfway cases, both signs, NaN, infinity and
 * overflow; and the option's spelling.
 */
class PrecisionTest {

    static float f(int bits) {
        return Float.intBitsToFloat(bits);
    }

    static int b(float x) {
        return Float.floatToRawIntBits(x);
    }

    @Test
    void bf16RoundsToNearestTiesToEven() {
        assertEquals(0x3f80_0000, b(Precision.bf16(f(0x3f80_7fff))));   // below half: down
        assertEquals(0x3f80_0000, b(Precision.bf16(f(0x3f80_8000))));   // tie, kept part even: stays
        assertEquals(0x3f82_0000, b(Precision.bf16(f(0x3f81_8000))));   // tie, kept part odd: up to even
        assertEquals(0x3f81_0000, b(Precision.bf16(f(0x3f80_8001))));   // above half: up
        assertEquals(0xbf82_0000, b(Precision.bf16(f(0xbf81_8000))));   // sign does not matter
        assertEquals(0x7f80_0000, b(Precision.bf16(f(0x7f7f_ffff))));   // past the largest bf16: infinity
        assertEquals(0xff80_0000, b(Precision.bf16(Float.NEGATIVE_INFINITY)));
        assertEquals(0x7fff, Precision.bf16Bits(Float.NaN));
        assertTrue(Float.isNaN(Precision.bf16(Float.NaN)));
        assertEquals(1.0f, Precision.bf16(1.0f));
        assertEquals(0x3f80_0000, b(Precision.BF16.round(f(0x3f80_8000))));
    }

    @Test
    void tf32RoundsToNearestTiesAwayFromZero() {
        assertEquals(0x3f80_0000, b(Precision.tf32(f(0x3f80_0fff))));   // below half: down
        assertEquals(0x3f80_2000, b(Precision.tf32(f(0x3f80_1000))));   // tie, kept part even: away (up)
        assertEquals(0x3f80_4000, b(Precision.tf32(f(0x3f80_3000))));   // tie, kept part odd: away (up)
        assertEquals(0xbf80_2000, b(Precision.tf32(f(0xbf80_1000))));   // negative tie: away from zero
        assertEquals(0x7f80_0000, b(Precision.tf32(f(0x7f7f_ffff))));
        assertEquals(0x7f7f_e000, b(Precision.tf32(f(0x7f7f_efff))));   // the largest tf32 stays finite
        assertTrue(Float.isNaN(Precision.tf32(Float.NaN)));
        assertEquals(Float.POSITIVE_INFINITY, Precision.tf32(Float.POSITIVE_INFINITY));
        assertEquals(0, b(Precision.TF32.round(f(0x0000_0fff))));       // a subnormal below half a tf32 ulp
    }

    @Test
    void fp32IsUntouchedAndArraysRoundElementwise() {
        float x = f(0x3f81_2345);
        assertEquals(b(x), b(Precision.FP32.round(x)));
        float[] src = {0f, x, -x, 3f}, dst = new float[6];
        Precision.BF16.round(src, 1, dst, 2, 2);
        assertEquals(Precision.bf16(x), dst[2]);
        assertEquals(Precision.bf16(-x), dst[3]);
        assertEquals(0f, dst[4]);
        Precision.FP32.round(src, 0, dst, 0, 4);
        assertEquals(b(x), b(dst[1]));
    }

    @Test
    void parsesTheOptionSpelling() {
        assertEquals(Precision.BF16, Precision.parse(" BF16 "));
        assertEquals(Precision.TF32, Precision.parse("tf32"));
        assertEquals(Precision.FP32, Precision.parse("fp32"));
        assertEquals("bf16", Precision.BF16.label());
        var e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp16"));
        assertEquals("--precision must be fp32, tf32 or bf16, got 'fp16'", e.getMessage());
        assertTrue(Precision.BF16.roundsAttention() && !Precision.TF32.roundsAttention() && Precision.TF32.roundsMatmul());
    }
}
