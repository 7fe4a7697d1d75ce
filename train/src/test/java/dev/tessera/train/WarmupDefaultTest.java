package dev.tessera.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The default warmups of the official pre-training scripts, resolved by {@link TrainingPlan}. */
class WarmupDefaultTest {
    private static double warmupEpochs(String method, int epochs) {
        TrainSettings s = TrainSettings.forMethod(method).toBuilder().batchSize(64).epochs(epochs).build();
        TrainingPlan p = TrainingPlan.of(s, 6400);                            // 100 steps per epoch
        return p.warmupSteps() / p.stepsPerEpoch();
    }

    @Test
    void caeWarmsUpAsItsScripts() {
        // lxtGH/CAE and Atten4Vis/CAE scripts/cae_base_800e.sh: --warmup_epochs 20 --epochs 800;
        // cae_large_1600e.sh: --warmup_epochs 40 --epochs 1600.
        assertEquals(20, warmupEpochs("cae", 800), 1e-9);
        assertEquals(40, warmupEpochs("cae", 1600), 1e-9);
    }

    @Test
    void maeKeepsItsForty() {
        assertEquals(40, warmupEpochs("mae", 800), 1e-9);                     // MAE's PRETRAIN.md: 40 of 800
    }
}
