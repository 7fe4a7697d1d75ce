package dev.tessera.tests.census;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.cae.CaeConfig;
import dev.tessera.data.Dataset;
import dev.tessera.engine.random.Rng;
import dev.tessera.kernels.LaunchCensus;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.ModelSpec;
import dev.tessera.train.Objective;
import dev.tessera.train.TrainSettings;
import dev.tessera.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * The launch census of one MAE-B/16 and one CAE-B/16 pre-training step on the CUDA backend, without a GPU: the
 * model and the {@link Trainer} run unchanged on {@link LaunchCensus#backend()}, whose driver counts instead of
 * computing. The third step is counted (the first two fill the caching allocator and the kernel cache). The table
 * is printed for bench/RESULTS.md; the assertions hold what a step must never do again.
 *
 * <pre>
 *   ./mvnw -q -pl tests -am test -Dtest=StepCensusTest -Dsurefire.failIfNoSpecifiedTests=false [-Dtessera.census.batch=256]
 * </pre>
 * Batch 256 by default (the device memory is never allocated, so it fits any machine; the host holds one batch of
 * images, 154 MB). Counts other than bytes do not depend on the batch.
 */
class StepCensusTest {
    static final int BATCH = Integer.getInteger("tessera.census.batch", 256);

    @Test
    void maeBase16() {
        LaunchCensus.Counts c = census(ModelSpec.of(MaeConfig.preset("mae-vit-base-patch16")), "MAE-B/16");
        checkSteadyState(c);
    }

    /**
     * MAE-B/16 with the step as CUDA graphs (the default on CUDA): steps 1–2 eager, steps 3 and 4 capture the compute
     * graph of their input set, the fifth step replays — its two graphs and no kernel launch from the host, no
     * cuMemAlloc; up go the sixth step's images and noise (prefetched on the copy stream while the fifth replays) and
     * AdamW's two constant blocks.
     */
    @Test
    void maeBase16AsCudaGraphs() {
        ModelSpec model = ModelSpec.of(MaeConfig.preset("mae-vit-base-patch16"));
        try (LaunchCensus census = LaunchCensus.start()) {
            Objective objective = model.build(census.backend(), 0);
            int[] shape = objective.imageShape();
            int steps = 6;
            List<LaunchCensus.Counts> after = new ArrayList<>();
            new Trainer(objective, new Noise(steps * BATCH, shape), settings(model, steps)).log(null, false)
                    .timeSteps((step, nanos) -> after.add(census.counts())).run();
            LaunchCensus.Counts step = after.get(4).minus(after.get(3));
            System.out.println("\n" + step.table("MAE-B/16 as CUDA graphs, batch " + BATCH + ", one replayed step (the fifth)"));
            assertEquals(0, step.kernelLaunches(), "a replayed step launches its two graphs, no kernel");
            assertEquals(2, step.graphLaunches(), "the compute graph of its input set and the update graph");
            assertEquals(0, step.memsets());
            assertEquals(0, step.deviceAllocations());
            long images = (long) BATCH * shape[0] * shape[1] * shape[2] * 4;
            long noise = (long) BATCH * model.maeConfig().numPatches() * 4;
            assertEquals(4, step.uploads(), "the next step's images and noise, AdamW's constants (two groups)");
            assertEquals(images + noise + 2L * 8 * 4, step.uploadBytes());
            assertEquals(4, step.streamWaits(), "per prefetched input: the copy waits for compute, compute for the copy");
            assertEquals(3, step.downloads(), "as eagerly: the loss slots, the gather index check, AdamW's non-finite word");
            assertEquals(4, step.hostWaits(), "as eagerly");
        }
    }

    /**
     * What a graph run feeds its replays is what an eager run (graphs off, same seed) uploads: every host→device
     * copy of the run — the images and the masking noise into the double-buffered input sets (step N's during step
     * N−1), AdamW's constants before each update — has the same destination, stream and bytes. Checked over the
     * whole run and, separately, for replays 4 and 5.
     */
    @Test
    void aGraphRunUploadsTheBytesAnEagerRunUploads() {
        ModelSpec model = ModelSpec.of(MaeConfig.preset("mae-tiny"));
        int steps = 6, batch = 4;
        List<List<LaunchCensus.Upload>> eager = uploadsPerStep(model, steps, batch, false, new ArrayList<>());
        List<LaunchCensus.Counts> graphCounts = new ArrayList<>();
        List<List<LaunchCensus.Upload>> graphs = uploadsPerStep(model, steps, batch, true, graphCounts);
        for (int n : new int[] {4, 5}) {
            assertEquals(2, graphCounts.get(n - 1).minus(graphCounts.get(n - 2)).graphLaunches(), "step " + n + " replays");
            assertEquals(0, graphCounts.get(n - 1).minus(graphCounts.get(n - 2)).kernelLaunches(), "step " + n + " replays");
            List<LaunchCensus.Upload> inputsE = onStream(eager.get(n - 2), 1), inputsG = onStream(graphs.get(n - 2), 1);
            assertEquals(2, inputsG.size(), "step " + n + "'s images and noise, prefetched during step " + (n - 1));
            assertSame(inputsE, inputsG, "the inputs of step " + n);
            assertTrue(nonZero(inputsG.get(0)) && nonZero(inputsG.get(1)), "real images and noise, not an empty buffer");
            List<LaunchCensus.Upload> constantsE = onStream(eager.get(n - 1), 0), constantsG = onStream(graphs.get(n - 1), 0);
            assertEquals(2, constantsG.size(), "AdamW's constants of step " + n + " (two groups)");
            assertSame(constantsE, constantsG, "AdamW's constants of step " + n);
        }
        for (int k = 0; k < steps; k++) assertSame(eager.get(k), graphs.get(k), "every upload of step " + (k + 1));
    }

    /** The uploads queued during each step of a run of {@code model} (index k: step k+1), the counts after each step. */
    private static List<List<LaunchCensus.Upload>> uploadsPerStep(ModelSpec model, int steps, int batch, boolean cudaGraph,
                                                                  List<LaunchCensus.Counts> counts) {
        try (LaunchCensus census = LaunchCensus.start()) {
            Objective objective = model.build(census.backend(), 0);
            census.keepUploads();
            int before = census.uploads().size();
            List<Integer> marks = new ArrayList<>();
            TrainSettings ts = TrainSettings.forMethod(model.method()).toBuilder().batchSize(batch).steps(steps).seed(3)
                    .checkpointEvery(steps).logEvery(steps).build();
            new Trainer(objective, new Noise(steps * batch, objective.imageShape()), ts).log(null, false).cudaGraph(cudaGraph)
                    .timeSteps((step, nanos) -> {
                        marks.add(census.uploads().size());
                        counts.add(census.counts());
                    }).run();
            List<LaunchCensus.Upload> all = census.uploads();
            List<List<LaunchCensus.Upload>> out = new ArrayList<>();
            for (int mark : marks) {
                out.add(all.subList(before, mark));
                before = mark;
            }
            return out;
        }
    }

    private static List<LaunchCensus.Upload> onStream(List<LaunchCensus.Upload> uploads, int stream) {
        return uploads.stream().filter(u -> u.stream() == stream).toList();
    }

    private static void assertSame(List<LaunchCensus.Upload> expected, List<LaunchCensus.Upload> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": number of uploads");
        for (int i = 0; i < expected.size(); i++) {
            LaunchCensus.Upload e = expected.get(i), a = actual.get(i);
            assertEquals(e.address(), a.address(), what + ", upload " + i + ": destination");
            assertEquals(e.stream(), a.stream(), what + ", upload " + i + ": stream");
            assertArrayEquals(e.bytes(), a.bytes(), what + ", upload " + i + ": bytes");
        }
    }

    private static boolean nonZero(LaunchCensus.Upload u) {
        for (byte b : u.bytes()) if (b != 0) return true;
        return false;
    }

    private static TrainSettings settings(ModelSpec model, int steps) {
        return TrainSettings.forMethod(model.method()).toBuilder().batchSize(BATCH).steps(steps).seed(0)
                .checkpointEvery(steps).logEvery(steps).build();
    }

    @Test
    void caeBase16() {
        LaunchCensus.Counts c = census(ModelSpec.of(CaeConfig.preset("cae-vit-base-patch16").withPixelTarget(), null), "CAE-B/16");
        checkSteadyState(c);
    }

    /** Three steps through the Trainer, as {@code tessera bench step} runs them; the counts of the third. */
    static LaunchCensus.Counts census(ModelSpec model, String label) {
        try (LaunchCensus census = LaunchCensus.start()) {
            Objective objective = model.build(census.backend(), 0);
            int[] shape = objective.imageShape();
            int steps = 4;                      // the third step prefetches the fourth's images while it computes
            TrainSettings ts = TrainSettings.forMethod(model.method()).toBuilder().batchSize(BATCH).steps(steps).seed(0)
                    .checkpointEvery(steps).logEvery(steps).build();
            List<LaunchCensus.Counts> after = new ArrayList<>();
            new Trainer(objective, new Noise(steps * BATCH, shape), ts).log(null, false).cudaGraph(false)
                    .timeSteps((step, nanos) -> after.add(census.counts())).run();
            LaunchCensus.Counts step = after.get(2).minus(after.get(1));
            System.out.println("\n" + step.table(label + ", batch " + BATCH + ", one step (the third)"));
            long images = (long) BATCH * shape[0] * shape[1] * shape[2] * 4;
            assertTrue(step.uploadBytes() >= images, "the batch's images go up: " + step.uploadBytes() + " < " + images);
            return step;
        }
    }

    static void checkSteadyState(LaunchCensus.Counts step) {
        assertEquals(0, step.deviceAllocations(), "after two steps every buffer comes from the caching allocator");
        assertTrue(step.kernelLaunches() > 100, "a ViT-B step launches hundreds of kernels: " + step.kernelLaunches());
    }

    /** Seeded Gaussian noise images, one class: the census counts the model, not the data. */
    record Noise(int size, int[] shape) implements Dataset {
        @Override public int channels() { return shape[0]; }
        @Override public int height() { return shape[1]; }
        @Override public int width() { return shape[2]; }
        @Override public int numClasses() { return 1; }
        @Override public int label(int index) { return 0; }

        @Override
        public void load(int index, float[] dst, int dstOffset, RandomGenerator rng) {
            Rng r = new Rng(index);
            int n = shape[0] * shape[1] * shape[2];
            for (int i = 0; i < n; i++) dst[dstOffset + i] = (float) r.nextGaussian();
        }
    }
}
