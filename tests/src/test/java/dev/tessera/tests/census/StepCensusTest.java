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
            int steps = 3;
            TrainSettings ts = TrainSettings.forMethod(model.method()).toBuilder().batchSize(BATCH).steps(steps).seed(0)
                    .checkpointEvery(steps).logEvery(steps).build();
            List<LaunchCensus.Counts> after = new ArrayList<>();
            new Trainer(objective, new Noise(steps * BATCH, shape), ts).log(null, false)
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
