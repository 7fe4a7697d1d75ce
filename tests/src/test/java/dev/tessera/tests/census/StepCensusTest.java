package dev.tessera.tests.census;

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
     * MAE-B/16 with the step as CUDA graphs (the default on CUDA): steps 1–2 eager, step 3 captured, the fifth step
     * replayed — no kernel launch from the host, no cuMemAlloc, and up go only the images, the noise and AdamW's
     * two constant blocks.
     */
    @Test
    @org.junit.jupiter.api.Disabled("capture of MAE's compute graph is refused today: the step uploads 1 float inside it "
            + "(the trainer warns 'upload of 1 floats during CUDA graph capture' and runs eagerly); move that upload out")
    void maeBase16AsCudaGraphs() {
        ModelSpec model = ModelSpec.of(MaeConfig.preset("mae-vit-base-patch16"));
        try (LaunchCensus census = LaunchCensus.start()) {
            Objective objective = model.build(census.backend(), 0);
            int[] shape = objective.imageShape();
            int steps = 5;
            TrainSettings ts = TrainSettings.forMethod(model.method()).toBuilder().batchSize(BATCH).steps(steps).seed(0)
                    .checkpointEvery(steps).logEvery(steps).build();
            List<LaunchCensus.Counts> after = new ArrayList<>();
            new Trainer(objective, new Noise(steps * BATCH, shape), ts).log(new java.io.PrintWriter(System.out, true), false)
                    .timeSteps((step, nanos) -> after.add(census.counts())).run();
            LaunchCensus.Counts step = after.get(4).minus(after.get(3));
            System.out.println("\n" + step.table("MAE-B/16 as CUDA graphs, batch " + BATCH + ", one replayed step (the fifth)"));
            assertEquals(0, step.kernelLaunches(), "a replayed step launches its two graphs, no kernel");
            assertEquals(0, step.deviceAllocations());
            long images = (long) BATCH * shape[0] * shape[1] * shape[2] * 4;
            long noise = (long) BATCH * model.maeConfig().numPatches() * 4;
            assertEquals(images + noise + 2L * 8 * 4, step.uploadBytes(), "images, noise and AdamW's constants (two groups)");
        }
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
