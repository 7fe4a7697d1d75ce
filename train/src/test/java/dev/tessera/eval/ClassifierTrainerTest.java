package dev.tessera.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.random.Rng;
import dev.tessera.engine.testing.Backends;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.testing.SyntheticImages;
import dev.tessera.vit.Pool;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.VisionTransformer;
import org.junit.jupiter.api.Test;

class ClassifierTrainerTest {
    private static final ViTConfig ENCODER = ViTConfig.of(8, 4, 1, 16, 2, 2);

    @Test
    void supervisedTrainingFromScratchBeatsChance() {
        SyntheticImages train = new SyntheticImages(192, 8, 4, 0.5f, 1), test = new SyntheticImages(96, 8, 4, 0.5f, 2);
        VisionTransformer vit = new VisionTransformer(ENCODER.withNumClasses(4).withPool(Pool.AVG).withDropPath(0.1).withPosLearnable(true), Backends.cpu(), new Rng(0));
        double before = ClassifierTrainer.accuracy(vit, test, 32);
        double[] loss = ClassifierTrainer.fit(vit, train, FinetuneRecipe.supervised().withEpochs(8).withBatch(32).withBlr(4e-3), 1, null);
        double after = ClassifierTrainer.accuracy(vit, test, 32);
        assertTrue(loss[loss.length - 1] < loss[0], "loss " + loss[0] + " → " + loss[loss.length - 1]);
        assertTrue(after >= 90, "accuracy " + before + " → " + after + " (chance 25)");
    }

    @Test
    void finetuningAClassifierBuiltFromAnEncoderBeatsChance() {
        // The encoder source's classifier: avg pool + fc_norm, learnable position table (MAE), the given drop-path.
        EncoderSource random = new EncoderSource(ENCODER, "mae", null, "random test encoder");
        VisionTransformer vit = random.buildClassifier(4, 0.1, Backends.cpu(), 3);
        assertEquals(Pool.AVG, vit.config().pool());
        assertTrue(vit.namedParameters().containsKey("pos_embed"));
        assertTrue(vit.namedParameters().containsKey("fc_norm.weight"));
        SyntheticImages train = new SyntheticImages(192, 8, 4, 0.5f, 1), test = new SyntheticImages(96, 8, 4, 0.5f, 2);
        ClassifierTrainer.fit(vit, train, FinetuneRecipe.finetune().withEpochs(8).withBatch(32).withBlr(4e-3).withLayerDecay(0.75), 1, null);
        double after = ClassifierTrainer.accuracy(vit, test, 32);
        assertTrue(after >= 90, "accuracy " + after + " (chance 25)");
    }

    @Test
    void augmentedBatchesAreAFunctionOfTheSeed() {
        SyntheticImages train = new SyntheticImages(64, 8, 4, 0.5f, 1);
        FinetuneRecipe r = FinetuneRecipe.supervised().withEpochs(2).withBatch(16);
        assertEquals(BatchAugmentation.mae(), r.augmentation());
        double[] a = ClassifierTrainer.fit(fresh(), train, r, 4, null);
        double[] b = ClassifierTrainer.fit(fresh(), train, r, 4, null);
        double[] plain = ClassifierTrainer.fit(fresh(), train, r.withAugmentation(BatchAugmentation.none()), 4, null);
        assertArrayEquals(a, b, "same seed, same mixing and erasing, same losses");
        assertFalse(java.util.Arrays.equals(a, plain), "mixup/cutmix/erasing change what is trained on");
    }

    private static VisionTransformer fresh() {
        return new VisionTransformer(ENCODER.withNumClasses(4).withPool(Pool.AVG).withPosLearnable(true), Backends.cpu(), new Rng(0));
    }

    @Test
    void caeEncodersKeepTheirPositionTableFixed() {
        var cae = new EncoderSource(MaeConfig.of(ENCODER, 16, 1, 2).encoder().withQvBias(true), "cae", null, "random cae");
        VisionTransformer vit = cae.buildClassifier(3, 0.0, Backends.cpu(), 0);
        assertTrue(vit.namedBuffers().containsKey("pos_embed"));
    }

    @Test
    void caeFineTuningAddsTheRelativePositionBiasMaeOnlyWhenAsked() {
        var cae = new EncoderSource(MaeConfig.of(ENCODER, 16, 1, 2).encoder().withQvBias(true), "cae", null, "random cae");
        var mae = new EncoderSource(ENCODER, "mae", null, "random mae");
        String table = "blocks.0.attn.relative_position_bias_table";
        assertTrue(cae.buildClassifier(3, 0.0, Backends.cpu(), 0).namedParameters().containsKey(table), "CAE: on by default");
        assertTrue(!mae.buildClassifier(3, 0.0, Backends.cpu(), 0).namedParameters().containsKey(table), "MAE: off by default");
        assertTrue(mae.buildClassifier(3, 0.0, true, Backends.cpu(), 0).namedParameters().containsKey(table), "MAE: the flag");
        // and it trains: one fine-tuning epoch moves the zero tables
        VisionTransformer vit = cae.buildClassifier(4, 0.0, Backends.cpu(), 0);
        ClassifierTrainer.fit(vit, new SyntheticImages(32, ENCODER.imgSize(), 4, 0.3f, 1),
                FinetuneRecipe.finetune().withEpochs(1).withBatch(16).withWarmupEpochs(0), 2, null);
        float[] t = vit.namedParameters().get(table).tensor().toArray();
        double moved = 0;
        for (float v : t) moved = Math.max(moved, Math.abs(v));
        assertTrue(moved > 0, "the relative position bias table stayed at zero");
    }
}
