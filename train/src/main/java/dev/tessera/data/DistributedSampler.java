package dev.tessera.data;

/**
 * Which samples of an epoch one rank of a data-parallel job reads: PyTorch's {@code DistributedSampler} rule.
 * Every rank computes the same epoch permutation (from seed and epoch alone), pads it to a multiple of the world
 * size by repeating its first samples, and takes every {@code world}-th entry starting at its rank. The ranks'
 * shards are disjoint apart from the padding and equally long, so every rank runs the same number of steps; and
 * the union of the ranks' b-th batches of B is exactly positions [b·B·world, (b+1)·B·world) of the permutation —
 * the b-th batch of B·world a single process would read.
 */
public final class DistributedSampler {
    private DistributedSampler() {}

    /** Rank {@code rank}'s share of {@code order}: padded[rank], padded[rank + world], … (⌈n / world⌉ entries). */
    public static int[] shard(int[] order, int rank, int world) {
        if (world < 1 || rank < 0 || rank >= world) {
            throw new IllegalArgumentException("rank " + rank + " is outside a world of " + world);
        }
        int per = shardSize(order.length, world);
        int[] out = new int[per];
        for (int i = 0; i < per; i++) out[i] = order[(rank + i * world) % order.length];
        return out;
    }

    /** Samples per rank: ⌈n / world⌉ (the last ones repeat the epoch's first samples). */
    public static int shardSize(int n, int world) {
        return (n + world - 1) / world;
    }
}
