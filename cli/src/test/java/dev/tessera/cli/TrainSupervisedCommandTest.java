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

class TrainSupervisedCommandTest {
    @TempDir
    static Path tmp;
    static Path data, checkpoint;

    @BeforeAll
    static void fixtures() {
        data = TinyRun.imageFolder(tmp.resolve("images"), 24, 8);
        checkpoint = TinyRun.checkpoint(tmp.resolve("run"), 1);
    }

    @Test
    @SuppressWarnings("unchecked")
    void trainsTheSameShapeFromScratchAboveChance() {
        // The checkpoint only gives the shape: its weights are not used (random_init is true).
        String[] r = LinprobeCommandTest.run(new TrainSupervisedCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--epochs", "10", "--batch", "16", "--blr", "2e-2", "--device", "cpu", "--threads", "2");
        assertEquals("0", r[0], r[2]);
        Map<String, Object> json = ResultFile.read(checkpoint.getParent().resolve("train-supervised.json"));
        assertEquals(true, json.get("random_init"));
        assertEquals(1.0, ((Number) ((Map<String, Object>) json.get("recipe")).get("layerDecay")).doubleValue(), 0);
        // Chance is 25%. On an image folder the training images get MAE's random-resized-crop + flip, which moves the
        // bars: the two row-band classes (and the two column-band ones) blur, but rows vs columns survives: ≥ 45%.
        assertTrue(((Number) json.get("top1")).doubleValue() >= 45, json.toString());
    }
}
