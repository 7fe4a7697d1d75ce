package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.cae.DalleConfig;
import dev.tessera.cae.DalleEncoder;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.random.Rng;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pretrain cae --target dalle} and {@code tokenizer draw} with a random-weight DALL-E encoder file (16 ids). */
class DalleTargetCommandTest {
    @TempDir
    static Path tmp;
    static Path images, dalle;

    @BeforeAll
    static void data() throws IOException {
        images = Cli.greyFolder(tmp.resolve("images"), 2, 4, 28);
        dalle = tmp.resolve("dalle.safetensors");
        try (CpuBackend cpu = new CpuBackend(1)) {
            SafeTensors.writeTensors(dalle, new DalleEncoder(new DalleConfig(8, 1, 3, 16), cpu, new Rng(3)).stateDict(), Map.of());
        }
    }

    @Test
    void pretrainsWithDalleTokensAndRecordsTheTokenizer() throws IOException {
        Path out = tmp.resolve("cae-dalle");
        Cli.Result r = Cli.tessera("pretrain", "cae", "--data", images.toString(), "--batch", "4", "--device", "cpu", "--threads", "2",
                "--workers", "1", "--log-every", "1", "--steps", "1", "--out", out.toString(), "--target", "dalle",
                "--tokenizer", dalle.toString());
        assertEquals(0, r.exit(), r.toString());
        JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("TOKENS", config.at("/model/config/target").asText());
        assertEquals(16, config.at("/model/config/vocabSize").asInt());
        assertEquals(dalle.toAbsolutePath().toString(), config.at("/model/tokenizer").asText());
    }

    @Test
    void drawsTheTokensOfABatch() throws IOException {
        Path png = tmp.resolve("pics/tokens.png");
        Files.createDirectories(png.getParent());
        Cli.Result r = Cli.tessera("tokenizer", "draw", "--tokenizer", dalle.toString(), "--data", images.toString(), "--images", "3",
                "--out", png.toString(), "--device", "cpu", "--threads", "2");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(Files.size(png) > 0);
        assertTrue(r.out().contains("3 images, 7×7 tokens each") && r.out().contains("DALL-E encoder, 16 ids, view 56²"), r.out());

        // the same picture for a k-means codebook
        Path tok = tmp.resolve("k4.safetensors"), kpng = tmp.resolve("pics/kmeans.png");
        r = Cli.tessera("tokenizer", "fit", "--data", images.toString(), "--k", "4", "--images", "4", "--out", tok.toString(),
                "--device", "cpu", "--threads", "2");
        assertEquals(0, r.exit(), r.toString());
        r = Cli.tessera("tokenizer", "draw", "--tokenizer", tok.toString(), "--data", images.toString(), "--images", "2",
                "--out", kpng.toString(), "--device", "cpu", "--threads", "2");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(Files.size(kpng) > 0 && r.out().contains("k-means, 4 ids"), r.out());
    }

    @Test
    void aMissingTokenizerFileSaysWhereToDownloadIt() {
        Cli.Result r = Cli.tessera("pretrain", "cae", "--data", images.toString(), "--device", "cpu", "--steps", "1",
                "--out", tmp.resolve("never").toString(), "--target", "dalle", "--tokenizer", tmp.resolve("encoder.pkl").toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("https://cdn.openai.com/dall-e/encoder.pkl"), r.toString());
        assertFalse(r.err().contains("Exception"), r.toString());
        assertFalse(Files.exists(tmp.resolve("never/metrics.jsonl")));

        r = Cli.tessera("pretrain", "cae", "--data", images.toString(), "--device", "cpu", "--steps", "1",
                "--out", tmp.resolve("never").toString(), "--target", "dalle");
        assertTrue(r.exit() != 0 && r.err().contains("--target dalle needs --tokenizer FILE"), r.toString());
    }
}
