package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.eval.ResultFile;
import dev.tessera.train.testing.TinyRun;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttnprobeCommandTest {
    @TempDir
    static Path tmp;
    static Path data, checkpoint;

    @BeforeAll
    static void fixtures() {
        data = TinyRun.imageFolder(tmp.resolve("images"), 24, 8);
        checkpoint = TinyRun.checkpoint(tmp.resolve("run"), 3);
    }

    @Test
    void attentiveProbeOfACheckpointsTokens() {
        String[] r = LinprobeCommandTest.run(new AttnprobeCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--epochs", "30", "--batch", "16", "--lr", "0.1", "--device", "cpu", "--threads", "2");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("probe: SGD momentum 0.9, 30 epochs, batch 16, lr 0.1"), r[1]);
        Map<String, Object> json = ResultFile.read(checkpoint.getParent().resolve("attnprobe.json"));
        assertEquals("sgd", json.get("optimizer"));
        assertTrue(((Number) json.get("top1")).doubleValue() >= 60, "chance is 25: " + json);
    }
}
