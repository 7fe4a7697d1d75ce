package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class LoaderTest {

    /**
     * Sample i is [i, u, i] for one random draw u, label i mod 3; loading takes a variable time so that workers
     * finish out of order. Sample {@code bad} (if ≥ 0) throws like a corrupt file.
     */
    record Numbers(int size, int bad) implements Dataset {
        public int channels() { return 1; }
        public int height() { return 1; }
        public int width() { return 3; }
        public int numClasses() { return 3; }
        public int label(int index) { return index % 3; }

        public void load(int index, float[] dst, int off, RandomGenerator rng) {
            if (index == bad) throw new DataException(java.nio.file.Path.of("sample" + index), "sample" + index + ": corrupt", null);
            try {
                Thread.sleep((index * 7) % 3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            dst[off] = index;
            dst[off + 1] = (float) rng.nextDouble();
            dst[off + 2] = index;
        }
    }

    private static List<Batch> run(Dataset ds, Loader.Options o, int epoch, int start) {
        List<Batch> out = new ArrayList<>();
        try (Loader l = new Loader(ds, o, epoch, start)) {
            for (Batch b : l) out.add(b);
        }
        return out;
    }

    private static void assertSameBatches(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).indices(), b.get(i).indices(), "batch " + i + " indices");
            assertArrayEquals(a.get(i).labels(), b.get(i).labels(), "batch " + i + " labels");
            assertArrayEquals(a.get(i).images(), b.get(i).images(), "batch " + i + " images");
        }
    }

    @Test
    void epochVisitsEverySampleOnceInShuffledOrder() {
        Numbers ds = new Numbers(103, -1);
        List<Batch> batches = run(ds, new Loader.Options(10, true, 5, 2, false, false), 0, 0);
        assertEquals(11, batches.size());
        assertEquals(3, batches.get(10).n()); // 103 = 10·10 + 3
        int[] all = batches.stream().flatMapToInt(b -> Arrays.stream(b.indices())).toArray();
        int[] sorted = all.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 103; i++) assertEquals(i, sorted[i]);
        assertFalse(Arrays.equals(all, sorted), "shuffled order should not be the identity");
        for (Batch b : batches) {
            for (int j = 0; j < b.n(); j++) {
                assertEquals(b.indices()[j], b.images()[j * 3], "image j is sample indices[j]");
                assertEquals(b.indices()[j] % 3, b.labels()[j]);
            }
        }
    }

    @Test
    void dropLastAndNoShuffle() {
        List<Batch> batches = run(new Numbers(103, -1), new Loader.Options(10, false, 0, 0, true, false), 0, 0);
        assertEquals(10, batches.size());
        assertArrayEquals(new int[] {90, 91, 92, 93, 94, 95, 96, 97, 98, 99}, batches.get(9).indices());
    }

    @Test
    void batchesDoNotDependOnTheNumberOfWorkers() {
        Numbers ds = new Numbers(64, -1);
        Loader.Options o = new Loader.Options(5, true, 42, 1, false, false);
        List<Batch> one = run(ds, o, 3, 0);
        assertSameBatches(one, run(ds, o.withWorkers(3), 3, 0));
        assertSameBatches(one, run(ds, o.withWorkers(0), 3, 0));
    }

    @Test
    void resumingAtBatchKGivesTheRemainingBatchesOfTheUninterruptedEpoch() {
        Numbers ds = new Numbers(64, -1);
        Loader.Options o = new Loader.Options(5, true, 42, 3, false, false);
        List<Batch> full = run(ds, o, 2, 0);
        List<Batch> resumed = run(ds, o.withWorkers(2), 2, 7);
        assertSameBatches(full.subList(7, full.size()), resumed);
        assertTrue(run(ds, o, 2, full.size()).isEmpty(), "resuming at the end gives an empty epoch");
    }

    @Test
    void epochsAndSeedsChangeOrderAndAugmentation() {
        Numbers ds = new Numbers(64, -1);
        Loader.Options o = new Loader.Options(64, true, 42, 0, false, false);
        Batch e0 = run(ds, o, 0, 0).get(0), e1 = run(ds, o, 1, 0).get(0), s1 = run(ds, o.withSeed(43), 0, 0).get(0);
        assertFalse(Arrays.equals(e0.indices(), e1.indices()));
        assertFalse(Arrays.equals(e0.indices(), s1.indices()));
        // Without shuffling the order is fixed but the augmentation draws still differ per epoch.
        Loader.Options fixed = o.withShuffle(false);
        Batch f0 = run(ds, fixed, 0, 0).get(0), f1 = run(ds, fixed, 1, 0).get(0);
        assertArrayEquals(f0.indices(), f1.indices());
        assertNotEquals(f0.images()[1], f1.images()[1]);
    }

    @Test
    void permutationDependsOnlyOnSeedAndEpoch() {
        int[] a = Loader.permutation(50, true, 9, 4), b = Loader.permutation(50, true, 9, 4);
        assertArrayEquals(a, b);
        // Batch size does not enter: the same samples in the same order, cut differently.
        int[] bs7 = run(new Numbers(50, -1), new Loader.Options(7, true, 9, 0, false, false), 4, 0).stream()
                .flatMapToInt(x -> Arrays.stream(x.indices())).toArray();
        assertArrayEquals(a, bs7);
    }

    @Test
    void corruptSampleFailsTheEpochWithItsNameUnlessSkipped() {
        Numbers ds = new Numbers(40, 17);
        Loader.Options o = new Loader.Options(4, true, 1, 3, false, false);
        DataException e = assertThrows(DataException.class, () -> run(ds, o, 0, 0));
        assertTrue(e.getMessage().contains("sample17"), e.getMessage());

        try (Loader l = new Loader(ds, o.withSkipBad(true), 0)) {
            int total = 0;
            for (Batch b : l) total += b.n();
            assertEquals(39, total);
            assertEquals(1, l.skipped());
        }
        // Skipping keeps determinism: the same batches with 1 and 3 workers.
        assertSameBatches(run(ds, o.withSkipBad(true).withWorkers(1), 0, 0), run(ds, o.withSkipBad(true), 0, 0));
    }

    @Test
    void closingEarlyStopsTheWorkers() {
        Numbers ds = new Numbers(1000, -1);
        Loader l = new Loader(ds, new Loader.Options(2, true, 0, 3, false, false), 0);
        var it = l.iterator();
        it.next();
        l.close(); // joins the workers
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertFalse(t.getName().startsWith("tessera-loader-") && t.isAlive(), "worker still running: " + t.getName());
        }
        assertThrows(IllegalStateException.class, l::iterator);
    }
}
