package dev.tessera.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Evaluation under no-grad runs each block in a nested scope: same numbers, a fraction of the memory. */
class NoGradForwardTest {
    static final CpuBackend BE = new CpuBackend(2);

    @AfterAll
    static void close() {
        BE.close();
    }

    @Test
    void sameNumbersForEveryPoolingWithAndWithoutGrad() {
        ViTConfig cls = ViTConfig.of(8, 4, 1, 16, 3, 2), avg = cls.withNumClasses(3).withPool(Pool.AVG);
        Tensor images = Tensor.of(BE, new Rng(4).normal(5 * 64, 0f, 1f), 5, 1, 8, 8);
        for (ViTConfig cfg : new ViTConfig[] {cls, avg}) {
            VisionTransformer vit = new VisionTransformer(cfg, BE, new Rng(1));
            vit.train(false);
            Pool[] pools = cfg.pool() == Pool.CLS ? new Pool[] {Pool.CLS, Pool.AVG} : new Pool[] {Pool.AVG};
            for (Pool pool : pools) {
                float[] withGrad = vit.features(images, pool).toArray();
                try (var off = GradMode.noGrad()) {
                    assertArrayEquals(withGrad, vit.features(images, pool).toArray(), cfg.pool() + " model, " + pool);
                }
            }
        }
    }

    @Test
    void noGradKeepsOneBlocksTemporariesAtATime() {
        VisionTransformer vit = new VisionTransformer(ViTConfig.of(8, 4, 1, 16, 4, 2), BE, new Rng(1));
        Tensor images = Tensor.of(BE, new Rng(4).normal(8 * 64, 0f, 1f), 8, 1, 8, 8);
        long withGrad, noGrad;
        try (StepScope s = BE.openScope()) {
            long before = BE.memoryStats().liveBytes();
            vit.forwardFeatures(images);
            withGrad = BE.memoryStats().liveBytes() - before;
        }
        try (var off = GradMode.noGrad(); StepScope s = BE.openScope()) {
            long before = BE.memoryStats().liveBytes();
            vit.forwardFeatures(images);
            noGrad = BE.memoryStats().liveBytes() - before;
        }
        // with grad every temporary of 4 blocks lives until the scope closes; without, only the block outputs do
        assertTrue(withGrad > 4 * noGrad, "with grad " + withGrad + " bytes vs no-grad " + noGrad);
    }
}
