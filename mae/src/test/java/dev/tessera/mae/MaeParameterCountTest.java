package dev.tessera.mae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.testing.Backends;
import dev.tessera.vit.testing.MetaBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The parameter counts of docs/mae.md#parameter-counts, over real module trees. MAE-B is built on the CPU backend (111.7 M floats);
 * L and H on the shape-only MetaBackend so the suite stays fast and small.
 */
class MaeParameterCountTest {

    private static boolean isDecoder(String name) {
        return name.startsWith("decoder_") || name.equals("mask_token");
    }

    /** {encoder trainable, encoder fixed, decoder trainable, decoder fixed}. */
    private static long[] counts(Module m) {
        long[] c = new long[4];
        m.namedParameters().forEach((n, p) -> c[isDecoder(n) ? 2 : 0] += p.trainable() ? p.numel() : 0);
        m.namedBuffers().forEach((n, b) -> c[isDecoder(n) ? 3 : 1] += b.numel());
        return c;
    }

    @Test
    void maeBaseOnTheCpuBackend() {
        MaskedAutoencoder mae = new MaskedAutoencoder(MaeConfig.preset("mae-vit-base-patch16"), Backends.cpu(), new Rng(1));
        long[] c = counts(mae);
        assertEquals(85_647_360L, c[0], "MAE-B encoder trainable");
        assertEquals(151_296L, c[1], "MAE-B encoder position table");
        assertEquals(26_008_320L, c[2], "MAE-B decoder trainable");
        assertEquals(100_864L, c[3], "MAE-B decoder position table");
        assertEquals(111_655_680L, mae.parameterCount(true), "MAE-B total trainable");
        String s = mae.summary();
        assertTrue(s.contains("111,655,680") && s.contains("252,160"), s);
        assertTrue(s.contains("encoder blocks ×12") && s.contains("decoder blocks ×8"), s);
        assertTrue(s.contains("49 visible of 196; encoder sequence 50, decoder sequence 197"), s);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "mae-vit-large-patch16, 303099904, 26139392",
        "mae-vit-huge-patch14, 630435840, 26178124",
    })
    void largeModelsOnTheMetaBackend(String preset, long encoder, long decoder) {
        Backend meta = new MetaBackend();
        MaskedAutoencoder mae = new MaskedAutoencoder(MaeConfig.preset(preset), meta, new Rng(1));
        long[] c = counts(mae);
        assertEquals(encoder, c[0], preset + " encoder trainable");
        assertEquals(decoder, c[2], preset + " decoder trainable");
        MaeConfig cfg = MaeConfig.preset(preset);
        int l = cfg.numPatches();
        assertEquals((1 + l) * (long) cfg.encoder().dim(), c[1]);
        assertEquals((1 + l) * 512L, c[3]);
    }

    @Test
    void presetsAndSequenceLengths() {
        assertEquals(java.util.List.of("mae-vit-base-patch16", "mae-vit-large-patch16", "mae-vit-huge-patch14",
                "mae-vit-small-patch16", "mae-tiny"), MaeConfig.presetNames());
        assertEquals(49, MaeConfig.preset("mae-vit-large-patch16").lenKeep());
        assertEquals(64, MaeConfig.preset("mae-vit-huge-patch14").lenKeep());
        MaeConfig tiny = MaeConfig.preset("mae-tiny");
        assertEquals(49, tiny.numPatches());
        assertEquals(12, tiny.lenKeep());
        assertEquals(192, tiny.encoder().dim());
        assertEquals(3, tiny.encoder().heads());
        assertEquals(128, tiny.decoderDim());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MaeConfig.preset("mae-vit-b"));
        assertTrue(e.getMessage().contains("mae-tiny"), e.getMessage());
        // the official factory names carry the decoder in a suffix; only the 512-wide, 8-deep presets answer to it
        assertEquals(MaeConfig.preset("mae-vit-base-patch16"), MaeConfig.preset("mae-vit-base-patch16-dec512d8b"));
        assertEquals(MaeConfig.preset("mae-vit-huge-patch14"), MaeConfig.preset("mae-vit-huge-patch14-dec512d8b"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MaeConfig.preset("mae-tiny-dec512d8b"));
    }

    @Test
    void smallViTSEncoderWithTheStandardDecoder() {
        MaskedAutoencoder mae = new MaskedAutoencoder(MaeConfig.preset("mae-vit-small-patch16"), new MetaBackend(), new Rng(1));
        long[] c = counts(mae);
        // ViT-S/16 classifier 22,050,664 − head 385,000 − learnable pos 75,648 (docs/vit.md#presets)
        assertEquals(22_050_664L - 385_000 - 197 * 384, c[0]);
        // decoder: embed 384→512 differs from B's 768→512 by 384·512
        assertEquals(26_008_320L - 384 * 512, c[2]);
    }
}
