package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.cpu.MaskingCpu;

/**
 * Launcher for masking.cu: MAE's random masking from its noise, on the device. CPU reference: {@code MaskingCpu}.
 * The loop, one block per row s and one thread per element i:
 * <pre>
 *   rank = #{j : key[j] &lt; key[i] or (key[j] == key[i] and j &lt; i)}     key = MaskingCpu.orderedBits(noise[s, ·])
 *   shuffle[s, rank] = i;  restore[s, i] = rank;  mask[s, i] = rank &lt; keep ? 0 : 1;  keep[s, rank] = i if rank &lt; keep
 * </pre>
 * Bit-identical to the CPU (integer ranks of the same keys).
 */
public final class MaskingCuda {
    public static final int DEFAULT_BLOCK = 256;
    /** Keys of one row live in shared memory: at most what fits without an opt-in. */
    public static final int MAX_LENGTH = LaunchConfig.DEFAULT_SHARED_LIMIT / 4;

    private final LaunchContext lc;

    MaskingCuda(LaunchContext lc) {
        this.lc = lc;
    }

    /** One block per row (rows past 2³¹−1 blocks cannot occur: rows·length fits an int); the row's keys as shared memory. */
    static LaunchConfig config(int rows, int length, int block) {
        if (length > MAX_LENGTH) {
            throw new IllegalArgumentException("argsortMask: " + length + " tokens per row, at most " + MAX_LENGTH
                    + " fit the kernel's shared memory");
        }
        LaunchConfig.checkWarpMultiple("argsort_mask", block);
        return new LaunchConfig(length == 0 ? 0 : rows, 1, 1, block, 1, 1, 4 * length);
    }

    public void argsortMask(Buffer noise, int rows, int length, int keep, Buffer idsShuffle, Buffer idsRestore,
                            Buffer idsKeep, Buffer mask, int block) {
        MaskingCpu.checkSizes(rows, length, keep, noise, idsShuffle, idsRestore, idsKeep, mask);
        long n = (long) rows * length;
        KernelArgs args = new KernelArgs().ptr(lc.required(noise, n, "argsortMask noise")).i(rows).i(length).i(keep)
                .ptr(lc.ints(idsShuffle, n, "argsortMask idsShuffle")).ptr(lc.ints(idsRestore, n, "argsortMask idsRestore"))
                .ptr(lc.ints(idsKeep, (long) rows * keep, "argsortMask idsKeep")).ptr(lc.required(mask, n, "argsortMask mask"));
        lc.module.launch("argsort_mask", config(rows, length, block), args);
    }
}
