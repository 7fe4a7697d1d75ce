package dev.tessera.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.vit.Pool;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.VisionTransformer;
import org.junit.jupiter.api.Test;

class BlockwiseForwardTest {

    @Test
    void equalsTheModelsOwnForwardForEveryPooling() {
        ViTConfig cls = ViTConfig.of(8, 4, 1, 16, 3, 2), avg = cls.withNumClasses(3).withPool(Pool.AVG);
        Tensor images = Tensor.of(Backends.cpu(), new Rng(4).normal(5 * 64, 0f, 1f), 5, 1, 8, 8);
        try (var _ = GradMode.noGrad()) {
            VisionTransformer a = new VisionTransformer(cls, Backends.cpu(), new Rng(1));
            a.train(false);
            assertArrayEquals(a.forwardFeatures(images).toArray(), BlockwiseForward.forwardFeatures(a, images).toArray());
            assertArrayEquals(a.features(images, Pool.CLS).toArray(), BlockwiseForward.features(a, images, Pool.CLS).toArray());
            assertArrayEquals(a.features(images, Pool.AVG).toArray(), BlockwiseForward.features(a, images, Pool.AVG).toArray());
            VisionTransformer b = new VisionTransformer(avg, Backends.cpu(), new Rng(2));
            b.train(false);
            assertArrayEquals(b.features(images, Pool.AVG).toArray(), BlockwiseForward.features(b, images, Pool.AVG).toArray());
        }
    }

    @Test
    void keepsOnlyTheBlockOutputsAlive() {
        VisionTransformer vit = new VisionTransformer(ViTConfig.of(8, 4, 1, 16, 4, 2), Backends.cpu(), new Rng(1));
        Tensor images = Tensor.of(Backends.cpu(), new Rng(4).normal(8 * 64, 0f, 1f), 8, 1, 8, 8);
        long whole, blockwise;
        try (var _ = GradMode.noGrad()) {
            try (StepScope _ = Backends.cpu().openScope()) {
                long before = Backends.cpu().memoryStats().liveBytes();
                vit.forwardFeatures(images);
                whole = Backends.cpu().memoryStats().liveBytes() - before;
            }
            try (StepScope _ = Backends.cpu().openScope()) {
                long before = Backends.cpu().memoryStats().liveBytes();
                BlockwiseForward.forwardFeatures(vit, images);
                blockwise = Backends.cpu().memoryStats().liveBytes() - before;
            }
        }
        // block outputs and the embedding: 6 tensors of [8, 5, 16]; the plain forward keeps every temporary of 4 blocks
        assertEquals(6L * 8 * 5 * 16 * 4, blockwise);
        assertTrue(whole > 5 * blockwise, "whole " + whole + " vs blockwise " + blockwise);
    }
}
