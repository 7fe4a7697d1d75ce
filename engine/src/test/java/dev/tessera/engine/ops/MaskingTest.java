package dev.tessera.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Masking#argsort} on the CPU reference against a plain stable sort of boxed indices by {@link Float#compare}
 * (what MAE's host masking did): random noise, heavy ties, ±0, NaN and ±∞, keep 0 and keep = length.
 */
class MaskingTest {
    static final Backend CPU = Backends.cpu();

    /** The reference: java.util's stable merge sort of the indices of each row. */
    static int[] stableArgsort(float[] v, int rows, int length) {
        int[] out = new int[rows * length];
        for (int s = 0; s < rows; s++) {
            int base = s * length;
            Integer[] order = new Integer[length];
            for (int i = 0; i < length; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Float.compare(v[base + a], v[base + b]));
            for (int t = 0; t < length; t++) out[base + t] = order[t];
        }
        return out;
    }

    void check(float[] noise, int rows, int length, int keep) {
        int[] shuffle = stableArgsort(noise, rows, length);
        int[] restore = new int[rows * length], kept = new int[rows * keep];
        float[] mask = new float[rows * length];
        for (int s = 0; s < rows; s++) {
            for (int t = 0; t < length; t++) {
                int p = shuffle[s * length + t];
                restore[s * length + p] = t;
                mask[s * length + p] = t < keep ? 0f : 1f;
                if (t < keep) kept[s * keep + t] = p;
            }
        }
        Masking.Shuffle m = Masking.argsort(Tensor.of(CPU, noise, rows, length), keep);
        String tag = "[" + rows + ", " + length + "] keep " + keep;
        assertArrayEquals(shuffle, m.idsShuffle().toIntArray(), "idsShuffle " + tag);
        assertArrayEquals(restore, m.idsRestore().toIntArray(), "idsRestore " + tag);
        assertArrayEquals(kept, m.idsKeep().toIntArray(), "idsKeep " + tag);
        assertArrayEquals(mask, m.mask().toArray(), "mask " + tag);
        assertArrayEquals(new int[] {rows, keep}, m.idsKeep().shape());
    }

    @Test
    void randomNoiseMatchesStableSort() {
        Random r = new Random(5);
        float[] nz = new float[7 * 196];
        for (int i = 0; i < nz.length; i++) nz[i] = r.nextFloat();
        check(nz, 7, 196, 49);
        check(nz, 7, 196, 0);
        check(nz, 7, 196, 196);
    }

    @Test
    void tiesSignedZerosNanAndInfinitiesSortLikeFloatCompare() {
        Random r = new Random(6);
        float[] pool = {0f, -0f, 1f, -1f, Float.NaN, Float.intBitsToFloat(0xffc00001), Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, 0.5f};
        float[] nz = new float[5 * 33];
        for (int i = 0; i < nz.length; i++) nz[i] = pool[r.nextInt(pool.length)];
        check(nz, 5, 33, 10);
        check(new float[] {3f}, 1, 1, 1);
        check(new float[0], 0, 4, 2);
    }

    @Test
    void refusesBadShapes() {
        Tensor nz = Tensor.zeros(CPU, 2, 5);
        assertEquals("argsortMask: keep 6 of 5 tokens",
                assertThrows(IllegalArgumentException.class, () -> Masking.argsort(nz, 6)).getMessage());
        assertThrows(ShapeException.class, () -> Masking.argsort(Tensor.zeros(CPU, 10), 1));
    }
}
