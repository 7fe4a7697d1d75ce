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

class FinetuneCommandTest {
    @TempDir
    static Path tmp;
    static Path data, checkpoint;

    @BeforeAll
    static void fixtures() {
        data = TinyRun.imageFolder(tmp.resolve("images"), 24, 8);
        checkpoint = TinyRun.checkpoint(tmp.resolve("run"), 3);
    }

    @Test
    @SuppressWarnings("unchecked")
    void finetunesACheckpointAboveChance() {
        String[] r = LinprobeCommandTest.run(new FinetuneCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--epochs", "10", "--batch", "16", "--blr", "2e-2", "--layer-decay", "0.75", "--device", "cpu", "--threads", "2");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("layer decay 0.75, drop-path 0.1, label smoothing 0.1"), r[1]);
        assertTrue(r[1].contains("mixup 0.8, cutmix 1, random erasing 0.25"), r[1]);
        Map<String, Object> json = ResultFile.read(checkpoint.getParent().resolve("finetune.json"));
        Map<String, Object> recipe = (Map<String, Object>) json.get("recipe");
        assertEquals(10, recipe.get("epochs"));
        assertEquals(0.75, ((Number) recipe.get("layerDecay")).doubleValue(), 1e-12);
        // Chance is 25%. On an image folder the training images get MAE's random-resized-crop + flip, which moves the
        // bars: the two row-band classes (and the two column-band ones) blur, but rows vs columns survives: ≥ 45%.
        assertTrue(((Number) json.get("top1")).doubleValue() >= 45, json.toString());
    }

    @Test
    void badRecipeValuesAreUsageErrors() {
        String[] r = LinprobeCommandTest.run(new FinetuneCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--layer-decay", "1.5", "--device", "cpu");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("layer decay 1.5 must be in (0, 1]"), r[2]);
        r = LinprobeCommandTest.run(new FinetuneCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--reprob", "1.5", "--device", "cpu");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--reprob must be in [0, 1], got 1.5"), r[2]);
        r = LinprobeCommandTest.run(new FinetuneCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--mixup", "-1", "--device", "cpu");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--mixup must be >= 0 (0 = off), got -1.0"), r[2]);
    }
}
