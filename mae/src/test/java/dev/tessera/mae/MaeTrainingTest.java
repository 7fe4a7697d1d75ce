package dev.tessera.mae;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.vit.ViTConfig;
import org.junit.jupiter.api.Test;

/**
 * Gradcheck-lite for the whole model: 20 AdamW steps on one fixed batch with fixed masks must drive the loss
 * down. A wrong gradient anywhere in the chain (gather, un-shuffle, attention, norm-pix) stalls it.
 */
class MaeTrainingTest {
    private final Backend be = Backends.cpu();

    @Test
    @SuppressWarnings("try") // the step scope is only closed
    void lossDecreasesOverTwentyAdamWSteps() {
        // mae-tiny's geometry (28×28×1, patch 4, 49 patches, 75% masking, norm-pix) at a test-sized width.
        MaeConfig cfg = MaeConfig.of(ViTConfig.of(28, 4, 1, 64, 2, 4), 32, 1, 4).withNormPixLoss(true);
        MaskedAutoencoder mae = new MaskedAutoencoder(cfg, be, new Rng(1));
        ParameterStore store = new ParameterStore(be, mae);
        AdamW opt = new AdamW(store, AdamW.Config.pretrain(0.05f));
        Rng r = new Rng(2);
        int n = 8;
        float[] img = new float[n * 28 * 28], noise = new float[n * 49];
        for (int s = 0; s < n; s++)   // smooth images (random ramps + noise) so patches are predictable
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++) img[(s * 28 + y) * 28 + x] = (float) (Math.sin(0.3 * (s + 1) * x + 0.2 * y) + 0.1 * r.nextGaussian());
        for (int i = 0; i < noise.length; i++) noise[i] = r.nextFloat();
        Tensor x = Tensor.of(be, img, n, 1, 28, 28), nz = Tensor.of(be, noise, n, 49);
        float first = 0, last = 0;
        for (int step = 0; step < 20; step++) {
            store.zeroGrad();
            float loss;
            try (var scope = be.openScope()) {
                Tensor l = mae.forward(x, 0.75, nz).loss();
                loss = l.item();
                l.backward();
            }
            opt.step(1e-3f);
            if (step == 0) first = loss;
            last = loss;
            assertTrue(Float.isFinite(loss), "loss at step " + step);
        }
        assertTrue(last < 0.7f * first, "loss " + first + " → " + last + " after 20 steps");
    }
}
