package dev.tessera.kernels;

/**
 * The geometry of one kernel launch: grid and block dimensions and the dynamic shared memory in bytes.
 * Every launcher computes its configs in plain static methods that return this record, so geometry is unit
 * tested without a GPU ({@code *GeometryTest}). The compact constructor enforces the CUDA limits that hold on
 * every GPU we build for (sm_80+), so a bad shape fails here with the numbers instead of as
 * CUDA_ERROR_INVALID_VALUE at launch. A config with a zero grid dimension means "nothing to do" and
 * {@link KernelModule#launch} skips it (CUDA rejects empty grids).
 */
public record LaunchConfig(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes) {

    /** Dynamic shared memory a kernel may use without opting in via cuFuncSetAttribute. */
    public static final int DEFAULT_SHARED_LIMIT = 48 * 1024;

    /**
     * The most any of our kernels asks for after opting in ({@link KernelModule#launch} sets
     * CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES above {@link #DEFAULT_SHARED_LIMIT}): the 99 KiB per block
     * of sm_86/sm_89, the smallest opt-in limit of the GPUs we build for (sm_80 163 KiB, sm_90 227 KiB).
     */
    public static final int MAX_SHARED_OPT_IN = 99 * 1024;

    public LaunchConfig {
        if (gridX < 0 || gridY < 0 || gridZ < 0) throw bad("negative grid dimension");
        if (gridY > 65535 || gridZ > 65535) throw bad("grid.y and grid.z are limited to 65535");
        if (blockX < 1 || blockY < 1 || blockZ < 1) throw bad("block dimensions must be >= 1");
        if (blockZ > 64) throw bad("block.z is limited to 64");
        if ((long) blockX * blockY * blockZ > 1024) throw bad("a block has at most 1024 threads");
        if (sharedBytes < 0 || sharedBytes > MAX_SHARED_OPT_IN) {
            throw bad("dynamic shared memory must be in [0, " + MAX_SHARED_OPT_IN + "] bytes");
        }
    }

    private IllegalArgumentException bad(String why) {
        return new IllegalArgumentException("invalid launch " + this + ": " + why);
    }

    /** A 1-D launch with one thread per item (grid-stride kernels also accept fewer blocks). */
    public static LaunchConfig linear(long items, int block) {
        return new LaunchConfig(blocksFor(items, block), 1, 1, block, 1, 1, 0);
    }

    /** ceil(items / perBlock), refusing counts beyond the 2³¹−1 grid.x limit. */
    public static int blocksFor(long items, int perBlock) {
        if (perBlock < 1) throw new IllegalArgumentException("perBlock must be >= 1, got " + perBlock);
        long b = (items + perBlock - 1) / perBlock;
        if (b > Integer.MAX_VALUE) throw new IllegalArgumentException(items + " items need " + b + " blocks > 2^31-1");
        return (int) Math.max(0, b);
    }

    /** The same geometry with dynamic shared memory. */
    public LaunchConfig withShared(int bytes) {
        return new LaunchConfig(gridX, gridY, gridZ, blockX, blockY, blockZ, bytes);
    }

    /** Whether the kernel must be allowed more than the default 48 KiB of dynamic shared memory first. */
    public boolean needsSharedOptIn() {
        return sharedBytes > DEFAULT_SHARED_LIMIT;
    }

    public boolean isEmpty() {
        return gridX == 0 || gridY == 0 || gridZ == 0;
    }

    public int threadsPerBlock() {
        return blockX * blockY * blockZ;
    }

    /** Throws unless {@code block} is a whole number of warps in [32, 1024] (what our reductions assume). */
    public static int checkWarpMultiple(String kernel, int block) {
        if (block < 32 || block > 1024 || block % 32 != 0) {
            throw new IllegalArgumentException(kernel + ": block size " + block + " must be a multiple of 32 in [32, 1024]");
        }
        return block;
    }

    @Override
    public String toString() {
        return "grid (" + gridX + "," + gridY + "," + gridZ + ") block (" + blockX + "," + blockY + "," + blockZ
                + ") shared " + sharedBytes + " B";
    }
}
