package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelCommandTest {

    @Test
    void maeBaseShowsTheSpecCountsOfEncoderAndDecoder() {
        Cli.Result r = Cli.tessera("model", "mae-vit-base-patch16");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("mae-vit-base-patch16\n"), r.out());
        assertTrue(r.out().contains("85,647,360"), r.out());      // docs/mae.md#parameter-counts: MAE-B encoder, trainable
        assertTrue(r.out().contains("26,008,320"), r.out());      // docs/mae.md#parameter-counts: MAE decoder on B
        assertTrue(r.out().contains("111,655,680"), r.out());     // total
        assertTrue(r.out().contains("151,296 fixed"), r.out());   // the encoder's position table
    }

    @Test
    void caeTinyAndViTPresetsPrintTheirTables() {
        Cli.Result r = Cli.tessera("model", "cae-tiny");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("regressor"), r.out());
        r = Cli.tessera("model", "vit-tiny-28");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("vit-tiny-28"), r.out());
    }

    @Test
    void listNamesEveryPreset() {
        Cli.Result r = Cli.tessera("model", "--list");
        assertEquals(0, r.exit(), r.toString());
        for (String n : new String[] {"mae-tiny", "mae-vit-base-patch16", "mae-vit-huge-patch14", "cae-tiny", "cae-vit-base-patch16",
                "vit-tiny-28", "vit-base-patch16"}) {
            assertTrue(r.out().contains(n + " "), n + " in\n" + r.out());
        }
    }

    @Test
    void unknownNameListsTheValidOnes() {
        Cli.Result r = Cli.tessera("model", "mae-giant");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("tessera model: unknown model 'mae-giant'; valid: mae-vit-base-patch16"), r.err());
        assertEquals(2, Cli.tessera("model").exit());
    }
}
