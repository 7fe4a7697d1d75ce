package dev.tessera.engine.backend.cpu;

import dev.tessera.engine.backend.Buffer;
import java.util.Arrays;

/**
 * MAE's random masking from its noise, the CPU reference for {@code MaskingCuda} (models_mae.py
 * {@code random_masking}: ids_shuffle = argsort(noise), ids_restore = argsort(ids_shuffle), keep the first
 * len_keep). Per row: a stable ascending argsort in {@link Float#compare} order, then its inverse, the kept
 * prefix and the 0/1 mask in patch order.
 *
 * <p>The sort key of element i is {@code orderedBits(noise[i]) << 32 | i}: the ordered bits rank floats as
 * {@link Float#compare} does (−0 before +0, every NaN last and equal), and the index in the low half makes the
 * keys distinct, so an ordinary sort of the keys IS the stable argsort. The CUDA kernel ranks with the same
 * key, which is what makes the two bit-identical.
 */
public final class MaskingCpu {
    private MaskingCpu() {}

    /**
     * The float's bits as a signed int ordered like {@link Float#compare}: canonical NaN (as
     * {@link Float#floatToIntBits}), then the low 31 bits of negatives flipped so larger magnitude sorts lower.
     */
    public static int orderedBits(float x) {
        int b = Float.floatToIntBits(x);
        return b ^ ((b >> 31) & 0x7fffffff);
    }

    /** The Backend.argsortMask size contract, shared with the CUDA launcher so both refuse the same calls. */
    public static void checkSizes(int rows, int length, int keep, Buffer noise, Buffer shuffle, Buffer restore,
                                  Buffer kept, Buffer mask) {
        if (rows < 0 || length < 0 || keep < 0 || keep > length) {
            throw new IllegalArgumentException("argsortMask: keep " + keep + " of " + length + " tokens in " + rows + " rows");
        }
        long n = (long) rows * length;
        String[] names = {"noise", "idsShuffle", "idsRestore", "idsKeep", "mask"};
        Buffer[] bufs = {noise, shuffle, restore, kept, mask};
        for (int b = 0; b < bufs.length; b++) {
            long want = b == 3 ? (long) rows * keep : n;
            if (bufs[b].length() != want) {
                throw new IllegalArgumentException("argsortMask: " + names[b] + " has " + bufs[b].length() + " elements, expected "
                        + want + " for [" + rows + ", " + length + "] keep " + keep);
            }
        }
    }

    public static void argsortMask(Parallel par, float[] noise, int no, int rows, int length, int keep,
                                   int[] shuffle, int so, int[] restore, int ro, int[] kept, int ko, float[] mask, int mo) {
        par.forRange(rows, 1, (from, to) -> {
            long[] keys = new long[length];
            for (int s = from; s < to; s++) {
                int base = s * length;
                for (int i = 0; i < length; i++) keys[i] = ((long) orderedBits(noise[no + base + i]) << 32) | i;
                Arrays.sort(keys);
                for (int t = 0; t < length; t++) {
                    int patch = (int) keys[t];                      // the low half: the index
                    shuffle[so + base + t] = patch;
                    restore[ro + base + patch] = t;
                    mask[mo + base + patch] = t < keep ? 0f : 1f;
                    if (t < keep) kept[ko + s * keep + t] = patch;
                }
            }
        });
    }
}
