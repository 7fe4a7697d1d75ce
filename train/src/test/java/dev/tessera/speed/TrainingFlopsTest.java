package dev.tessera.speed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.cae.CaeConfig;
import dev.tessera.mae.MaeConfig;
import dev.tessera.vit.ViTConfig;
import org.junit.jupiter.api.Test;

class TrainingFlopsTest {

    private static double giga(long macs) {
        return Math.round(macs / 1e7) / 100.0;
    }

    @Test
    void fullVitBaseIsSpecsSeventeenPointFiveSixGiga() {
        TrainingFlops f = TrainingFlops.vit(ViTConfig.preset("vit-base-patch16"));
        assertEquals(17.56, giga(f.forwardMacs()));                                   // docs/vit.md#compute
        assertEquals(3 * 2.0 * f.forwardMacs(), f.trainingFlops());
    }

    @Test
    void maeBasePretrainingForwardSplitsAsSpecSays() {
        TrainingFlops f = TrainingFlops.mae(MaeConfig.preset("mae-vit-base-patch16"));
        assertEquals(0.12, giga(f.patchEmbed()));                                     // docs/vit.md#compute: 0.12 + 4.29 + 5.37 ≈ 9.8
        assertEquals(4.29, giga(f.encoder()));
        assertEquals(5.37, giga(f.neck() + f.decoder()));
        assertEquals(9.78, giga(f.forwardMacs()));
        assertEquals(0, f.teacher());
    }

    @Test
    void maeLargeAgainstMaskTokensInTheEncoderIsAboutThreePointTwo() {
        MaeConfig large = MaeConfig.preset("mae-vit-large-patch16");
        TrainingFlops mae = TrainingFlops.mae(large);
        assertEquals(20.8, Math.round(mae.forwardMacs() / 1e8) / 10.0);               // docs/vit.md#compute: about 20.8 G
        // 67.0 G (docs/vit.md#compute): the same encoder run on all 197 tokens with the same decoder
        long withMaskTokens = TrainingFlops.vit(large.encoder().withNumClasses(0)).forwardMacs() + mae.neck() * 197 / 50 + mae.decoder();
        assertEquals(67.0, Math.round(withMaskTokens / 1e8) / 10.0);
    }

    @Test
    void caeCountsTheRegressorsCrossAttentionAndTheForwardOnlyTeacher() {
        // tiny by hand: 8×8×1, patch 4 → L = 4, D = 16, depth 1, mlp 64; M = 2, Nv = 2; Dd = 16 (no projection)
        CaeConfig c = CaeConfig.of(ViTConfig.of(8, 4, 1, 16, 1, 2).withQvBias(true).withLayerScale(0.1), 1, 1, 16, 2).withNumMasked(2);
        TrainingFlops f = TrainingFlops.cae(c);
        assertEquals(4 * 16 * 16, f.patchEmbed());
        long encBlock = 3 * (4 * 256 + 2 * 16 * 64) + 2 * 9 * 16;                      // 3 tokens: qkv+proj, MLP, Q·Kᵀ and A·V
        assertEquals(encBlock, f.encoder());
        long cross = 2 * (2 * 256 + 2 * 16 * 64) + 2 * 4 * 256 + 2 * 2 * 4 * 16;       // q, proj, MLP on 2 queries; k, v on 4; 2×4 attention
        assertEquals(cross, f.neck());
        long dec = 2 * (4 * 256 + 2 * 16 * 64) + 2 * 4 * 16 + 2 * 16 * 16;            // 2 latents, head p²C = 16
        assertEquals(dec, f.decoder());
        assertEquals(4 * 16 * 16 + encBlock, f.teacher());                            // same encoder on cls + 2 masked
        assertEquals(2.0 * (3 * f.gradedMacs() + f.teacher()), f.trainingFlops());
    }
}
