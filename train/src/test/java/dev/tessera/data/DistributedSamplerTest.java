package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DistributedSamplerTest {
    @Test
    void shardsAreRankStridedAndPaddedFromTheStart() {
        int[] order = {5, 3, 9, 0, 7, 1, 8};                            // 7 samples over 3 ranks: padded to 9 with 5, 3
        assertArrayEquals(new int[] {5, 0, 8}, DistributedSampler.shard(order, 0, 3));
        assertArrayEquals(new int[] {3, 7, 5}, DistributedSampler.shard(order, 1, 3));
        assertArrayEquals(new int[] {9, 1, 3}, DistributedSampler.shard(order, 2, 3));
        assertArrayEquals(order, DistributedSampler.shard(order, 0, 1));
        assertEquals(3, DistributedSampler.shardSize(7, 3));
        assertThrows(IllegalArgumentException.class, () -> DistributedSampler.shard(order, 3, 3));
    }

    /** A dataset of n 1×1×1 images whose pixel is the index. */
    record Indexed(int size) implements Dataset {
        @Override public int channels() { return 1; }
        @Override public int height() { return 1; }
        @Override public int width() { return 1; }
        @Override public int numClasses() { return 1; }
        @Override public int label(int index) { return 0; }

        @Override
        public void load(int index, float[] dst, int off, RandomGenerator rng) {
            dst[off] = index;
        }
    }

    @Test
    void theRanksBatchesTogetherAreTheSingleProcessBatch() {
        Loader.Options o = new Loader.Options(8, true, 42, 0, true, false);
        Indexed ds = new Indexed(64);
        for (int epoch = 0; epoch < 2; epoch++) {
            try (Loader one = new Loader(ds, o.withShuffle(true), epoch, 0);
                 Loader r0 = new Loader(ds, new Loader.Options(4, true, 42, 0, true, false), epoch, 0, 0, 2);
                 Loader r1 = new Loader(ds, new Loader.Options(4, true, 42, 0, true, false), epoch, 0, 1, 2)) {
                assertEquals(one.batchCount(), r0.batchCount());
                var a = one.iterator();
                var b0 = r0.iterator();
                var b1 = r1.iterator();
                while (a.hasNext()) {
                    int[] whole = a.next().indices().clone(), left = b0.next().indices(), right = b1.next().indices();
                    int[] union = IntStream.concat(Arrays.stream(left), Arrays.stream(right)).sorted().toArray();
                    Arrays.sort(whole);
                    assertArrayEquals(whole, union);
                }
            }
        }
    }
}
