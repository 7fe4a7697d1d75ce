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
                "--epochs", "30", "--batch", "16", "--lr", "0.1", "--augment", "none", "--device", "cpu", "--threads", "2");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("probe: SGD Nesterov momentum 0.9, 30 epochs, batch 16, lr 0.1, min lr 0.000001, warmup 10, tokens computed once"),
                r[1]);
        Map<String, Object> json = ResultFile.read(checkpoint.getParent().resolve("attnprobe.json"));
        assertEquals("sgd (nesterov)", json.get("optimizer"));
        assertEquals("none", json.get("augment"));
        assertTrue(((Number) json.get("top1")).doubleValue() >= 60, "chance is 25: " + json);
    }

    @Test
    void reAugmentsEveryEpochByDefaultOnAnImageFolder() {
        Path out = tmp.resolve("attn-aug.json");
        String[] r = LinprobeCommandTest.run(new AttnprobeCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--epochs", "3", "--batch", "16", "--no-nesterov", "--min-lr", "0", "--device", "cpu", "--threads", "2",
                "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("probe: SGD momentum 0.9, 3 epochs, batch 16, lr 0.05, min lr 0, warmup 2, tokens of freshly augmented"
                + " images every epoch"), r[1]);
        Map<String, Object> json = ResultFile.read(out);
        assertEquals("every-epoch", json.get("augment"));
        assertEquals("sgd", json.get("optimizer"));

        r = LinprobeCommandTest.run(new AttnprobeCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--augment", "sometimes", "--device", "cpu");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--augment must be every-epoch or none, got 'sometimes'"), r[2]);
        r = LinprobeCommandTest.run(new AttnprobeCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--min-lr", "1", "--device", "cpu");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--min-lr must be in [0, lr 0.05], got 1.0"), r[2]);
    }
}
