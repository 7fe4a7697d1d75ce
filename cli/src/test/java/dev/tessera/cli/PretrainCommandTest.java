package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.train.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tessera pretrain mae} end to end on a small image folder with the real mae-tiny preset: a run in
 * two sessions (--stop-after, then --resume) in --precision bf16, its files (the precision recorded), and what --resume
 * refuses (another precision among it).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PretrainCommandTest {
    @TempDir
    static Path tmp;
    static Path images, run;

    @BeforeAll
    static void data() throws IOException {
        images = Cli.greyFolder(tmp.resolve("images"), 2, 6, 28);   // 12 images → 3 batches of 4 per epoch
        run = tmp.resolve("run");
    }

    static String[] common(String... more) {
        String[] base = {"--data", images.toString(), "--batch", "4", "--device", "cpu", "--threads", "2",
                "--workers", "1", "--log-every", "1", "--checkpoint-every", "2"};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    static String[] cmd(String method, String[] rest) {
        String[] all = new String[rest.length + 2];
        all[0] = "pretrain";
        all[1] = method;
        System.arraycopy(rest, 0, all, 2, rest.length);
        return all;
    }

    @Test
    @Order(1)
    void firstSessionStopsWhereAsked() throws IOException {
        Cli.Result r = Cli.tessera(cmd("mae", common("--out", run.toString(), "--steps", "4", "--stop-after", "2", "--precision", "bf16",
                "--no-norm-pix")));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("device: cpu") && r.out().contains("precision bf16"), r.out());
        assertTrue(r.out().contains("stopped: 2 of 4 steps"), r.out());
        assertTrue(r.out().contains("note: recon.png shows training images"), r.out());
        for (String f : new String[] {"config.json", "metrics.jsonl", "checkpoint.safetensors", "loss.png", "recon.png", "summary.json"}) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
        JsonNode config = new ObjectMapper().readTree(run.resolve("config.json").toFile());
        assertEquals("image-folder", config.at("/data/kind").asText());
        assertEquals("mae-tiny", config.at("/model/name").asText());
        assertEquals("bf16", config.at("/precision").asText());
        assertFalse(config.at("/model/config/normPixLoss").asBoolean());
        assertEquals("--no-norm-pix", config.at("/command").get(config.at("/command").size() - 1).asText());
        assertEquals(2, Checkpoint.read(run.resolve("checkpoint.safetensors")).step());
    }

    @Test
    @Order(2)
    void resumeRefusesSettingsThatChangeTheRun() {
        Cli.Result r = Cli.tessera("pretrain", "mae", "--resume", run.toString(), "--batch", "8", "--device", "cpu");
        assertEquals(2, r.exit(), r.toString());
        assertEquals("tessera pretrain mae: --resume " + run + " continues the run with the settings in its config.json; leave out --batch"
                + " (see 'tessera pretrain mae --help')", r.err().strip());

        r = Cli.tessera("pretrain", "mae", "--resume", run.toString(), "--model", "mae-vit-base-patch16", "--device", "cpu");
        assertEquals(1, r.exit(), r.toString());
        assertEquals("tessera pretrain mae: --resume " + run + ": the checkpoint is mae-tiny (MAE) but --model asks for mae-vit-base-patch16",
                r.err().strip());

        r = Cli.tessera("pretrain", "mae", "--resume", run.toString(), "--precision", "fp32", "--device", "cpu");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("--resume " + run + " continues a run trained with --precision bf16; leave out --precision fp32"), r.err());

        r = Cli.tessera("pretrain", "cae", "--resume", run.toString(), "--device", "cpu");
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("continue it with 'tessera pretrain mae --resume"), r.err());
    }

    @Test
    @Order(3)
    void secondSessionFinishesTheRun() throws IOException {
        Cli.Result r = Cli.tessera("pretrain", "mae", "--resume", run.toString(), "--device", "cpu", "--threads", "2");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("resuming at step 2") && r.out().contains("precision bf16"), r.out());
        assertTrue(r.out().contains("done: 4 of 4 steps"), r.out());
        JsonNode summary = new ObjectMapper().readTree(run.resolve("summary.json").toFile());
        assertEquals("finished", summary.get("status").asText());
        assertEquals(2, summary.get("resumedFromStep").asInt());
        assertEquals("bf16", summary.get("precision").asText());
        assertEquals(4, Files.readAllLines(run.resolve("metrics.jsonl")).size());
        assertEquals(4, Checkpoint.read(run.resolve("checkpoint.safetensors")).losses().length);

        r = Cli.tessera("reconstruct", "--checkpoint", run.resolve("checkpoint.safetensors").toString(), "--out",
                tmp.resolve("pictures/recon.png").toString(), "--mask-ratio", "0.5", "--device", "cpu");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(Files.size(tmp.resolve("pictures/recon.png")) > 0);
        assertTrue(r.out().contains("by mae-tiny (MAE) at step 4"), r.out());
    }

    @Test
    @Order(4)
    void caeWithPixelTargetAndWithKMeansTokens() throws IOException {
        Cli.Result r = Cli.tessera(cmd("cae", common("--out", tmp.resolve("cae").toString(), "--steps", "1")));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("cae/recon.png")));
        // An image-folder CAE run crops as CAE's datasets.py does (flip, then scale 0.08–1), not as MAE.
        assertTrue(r.out().contains("CAE's flip + random-resized-crop (0.08–1) to 1×28×28"), r.out());
        assertEquals(24, new ObjectMapper().readTree(tmp.resolve("cae/config.json").toFile()).at("/model/config/numMasked").asInt(),
                "the default is the PyTorch release's 98 of 196, half of cae-tiny's 49");

        r = Cli.tessera(cmd("cae", common("--out", tmp.resolve("cae-paper").toString(), "--steps", "1", "--num-mask-patches", "paper")));
        assertEquals(0, r.exit(), r.toString());
        assertEquals(19, new ObjectMapper().readTree(tmp.resolve("cae-paper/config.json").toFile()).at("/model/config/numMasked").asInt(),
                "paper: 75 of 196 scaled to 49 patches");
        r = Cli.tessera(cmd("cae", common("--out", tmp.resolve("cae-bad").toString(), "--steps", "1", "--num-mask-patches", "75")));
        assertTrue(r.exit() != 0 && r.err().contains("--num-mask-patches 75 gives 75 masked patches; the model has 49"), r.toString());
        assertFalse(Files.exists(tmp.resolve("cae-bad")));
        assertEquals("XAVIER", new ObjectMapper().readTree(tmp.resolve("cae/config.json").toFile()).at("/model/config/patchEmbedInit").asText(),
                "cae-tiny's patch embedding starts xavier (docs/cae.md#initialisation)");
        r = Cli.tessera(cmd("cae", common("--out", tmp.resolve("cae-beit").toString(), "--steps", "1", "--patch-embed-init", "beit")));
        assertEquals(0, r.exit(), r.toString());
        assertEquals("BEIT", new ObjectMapper().readTree(tmp.resolve("cae-beit/config.json").toFile()).at("/model/config/patchEmbedInit").asText());
        r = Cli.tessera(cmd("cae", common("--out", tmp.resolve("cae-bad").toString(), "--steps", "1", "--patch-embed-init", "kaiming")));
        assertTrue(r.exit() != 0 && r.err().contains("--patch-embed-init must be beit or xavier, got 'kaiming'"), r.toString());
        assertFalse(Files.exists(tmp.resolve("cae-bad")));

        Path tok = tmp.resolve("tok/k8.safetensors");
        r = Cli.tessera("tokenizer", "fit", "--data", images.toString(), "--k", "8", "--images", "12", "--out", tok.toString(),
                "--device", "cpu", "--threads", "2");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("fitting 8 tokens to 588 patches of 4×4×1 from 12 images"), r.out());

        r = Cli.tessera(cmd("cae", common("--out", tmp.resolve("cae-tokens").toString(), "--steps", "1", "--target", "tokens",
                "--tokenizer", tok.toString())));
        assertEquals(0, r.exit(), r.toString());
        JsonNode summary = new ObjectMapper().readTree(tmp.resolve("cae-tokens/summary.json").toFile());
        assertTrue(summary.get("notes").toString().contains("recon.png skipped"), summary.toString());
        JsonNode config = new ObjectMapper().readTree(tmp.resolve("cae-tokens/config.json").toFile());
        assertEquals("TOKENS", config.at("/model/config/target").asText());
        assertEquals(8, config.at("/model/config/vocabSize").asInt());
        assertEquals(tok.toAbsolutePath().toString(), config.at("/model/tokenizer").asText());
    }
}
