package dev.tessera.tests.golden;

import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.ops.Loss;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Pool;
import dev.tessera.vit.PosEmbed2d;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.VisionTransformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ViT classifier vs PyTorch (timm-style, cls and global-average pooling; and CAE's fine-tuning classifier with BEiT's
 * relative position bias in every block): logits, loss, every gradient, 5 steps.
 */
class VitGoldenTest {
    static final CpuBackend BE = new CpuBackend(2);

    @AfterAll
    static void close() {
        BE.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_cls", "vit_avg", "vit_relpos"})
    void matchesPyTorch(String caseName) {
        Golden g = Golden.load(caseName);
        ViTConfig cfg = caseName.equals("vit_relpos")
                ? ViTConfig.of(28, 4, 1, 32, 2, 2).withQvBias(true).withLayerScale(0.1).withPosOrder(PosEmbed2d.Order.CAE)
                        .withNumClasses(10).withPool(Pool.AVG).withRelPosBias(true)
                : ViTConfig.of(28, 4, 1, 32, 2, 2).withNumClasses(10).withPosLearnable(true)
                        .withPool(caseName.equals("vit_avg") ? Pool.AVG : Pool.CLS);
        VisionTransformer model = new VisionTransformer(cfg, BE, new Rng(0));
        g.loadInto(model);
        Tensor images = g.tensor(BE, "input.images"), labels = g.tensor(BE, "input.labels");

        Tensor logits = model.forward(images);
        Tensor loss = Loss.crossEntropy(logits, labels, 0.1f);
        g.assertOutput("out.logits", logits.toArray());
        g.assertOutput("out.loss", new float[] {loss.item()});
        loss.backward();
        g.assertGradients(model);

        Steps.check(g, BE, model, () -> Loss.crossEntropy(model.forward(images), labels, 0.1f));
    }
}
