package dev.tessera.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.UnaryOp;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CpuBackend#matmulEpilogue} adds the bias in the GEMM's first store ({@link Sgemm#linearBias}); the
 * reference is the composed form it replaced ({@code Backend.matmulEpilogue}'s default): a strided copy
 * broadcasting the bias into the output, {@code matmul(β = 1)}, then GELU. The outputs must be the same bits
 * for edge tiles, several k-slabs, the scalar path of tiny products, buffer offsets, and any thread count.
 */
class CpuLinearBiasTest {

    /** {m, n, k}: full and cut tiles, k over one, two and three slabs (KC = 512), and a product on the scalar path. */
    private static final int[][] SHAPES = {
        {1, 1, 1}, {2, 3, 4}, {6, 32, 16}, {7, 33, 17}, {13, 97, 300}, {50, 200, 768}, {150, 70, 513}, {400, 64, 64},
        {20, 40, 1100},
    };

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2, 3})
    void fusedBiasAndGeluAreTheComposedFormsBits(int threads) {
        SplittableRandom rnd = new SplittableRandom(7 + threads);
        try (CpuBackend be = new CpuBackend(threads)) {
            for (int[] s : SHAPES) {
                int m = s[0], n = s[1], k = s[2];
                for (boolean gelu : new boolean[] {false, true}) {
                    // Offsets inside larger buffers check the index math of every operand.
                    Buffer x = slice(be, rnd, m * k, 3), w = slice(be, rnd, n * k, 5), bias = slice(be, rnd, n, 1);
                    Buffer pre = slice(be, rnd, m * n, 2), out = slice(be, rnd, m * n, 4);
                    be.matmulEpilogue(x, w, bias, m, n, k, gelu, pre, out);

                    Buffer wantPre = be.allocate(m * n), wantOut = be.allocate(m * n);
                    Buffer target = gelu ? wantPre : wantOut;
                    be.copyStrided(bias, new int[] {0, 1}, target, new int[] {n, 1}, new int[] {m, n}, false);
                    be.matmul(false, true, 1, m, n, k, 1f, x, 0, w, 0, 1f, target);
                    if (gelu) be.unary(UnaryOp.GELU, 0f, wantPre, wantOut);

                    String what = m + "x" + n + "x" + k + (gelu ? " +GELU" : "") + ", " + threads + " threads";
                    assertSameBits(be.download(wantOut), be.download(out), what + ": output");
                    if (gelu) assertSameBits(be.download(wantPre), be.download(pre), what + ": pre-activation");
                }
            }
        }
    }

    @Test
    void wrongBiasLengthIsRejected() {
        try (CpuBackend be = new CpuBackend(1)) {
            Buffer x = be.allocate(4 * 8), w = be.allocate(16 * 8), bias = be.allocate(15), out = be.allocate(4 * 16);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> be.matmulEpilogue(x, w, bias, 4, 16, 8, false, null, out));
            assertEquals("matmulEpilogue: x 32, w 128, bias 15 and output 64 elements for m=4 n=16 k=8", e.getMessage());
        }
    }

    /** A random buffer of {@code length} floats at offset {@code offset} of a larger one (garbage around it). */
    private static Buffer slice(CpuBackend be, SplittableRandom rnd, int length, int offset) {
        float[] data = new float[length + offset + 3];
        for (int i = 0; i < data.length; i++) data[i] = (float) (rnd.nextGaussian() * 2);
        Buffer whole = be.allocate(data.length);
        be.upload(data, whole);
        return whole.slice(offset, length);
    }

    private static void assertSameBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                assertEquals(want[i], got[i], what + ": element " + i + " differs in its bits");
            }
        }
    }
}
