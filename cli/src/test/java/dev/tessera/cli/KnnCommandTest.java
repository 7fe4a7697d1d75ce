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

class KnnCommandTest {
    @TempDir
    static Path tmp;
    static Path data, checkpoint;

    @BeforeAll
    static void fixtures() {
        data = TinyRun.imageFolder(tmp.resolve("images"), 24, 8);
        checkpoint = TinyRun.checkpoint(tmp.resolve("run"), 3);
    }

    @Test
    void knnOfACheckpointsEncoder() {
        String[] r = LinprobeCommandTest.run(new KnnCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--device", "cpu", "--threads", "2");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("knn top-1: "), r[1]);
        Map<String, Object> json = ResultFile.read(checkpoint.getParent().resolve("knn.json"));
        assertEquals(20, json.get("k"));
        assertEquals(0.07, ((Number) json.get("temperature")).doubleValue(), 1e-6);
        assertEquals("cls", json.get("pool"));
        assertTrue(((Number) json.get("top1")).doubleValue() >= 60, json.toString());
    }

    @Test
    void limitsSubsampleBothSplits() {
        Path out = tmp.resolve("knn-small.json");
        String[] r = LinprobeCommandTest.run(new KnnCommand(), "--checkpoint", checkpoint.toString(), "--random-init", "--data",
                data.toString(), "--train-limit", "40", "--test-limit", "10", "--k", "5", "--device", "cpu", "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        Map<String, Object> json = ResultFile.read(out);
        assertEquals(40, json.get("train_images"));
        assertEquals(10, json.get("test_images"));
        assertEquals(true, json.get("random_init"));
    }

    @Test
    void aMissingCheckpointIsOneClearLine() {
        String[] r = LinprobeCommandTest.run(new KnnCommand(), "--checkpoint", tmp.resolve("nope.safetensors").toString(), "--data",
                data.toString(), "--device", "cpu");
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("nope.safetensors"), r[2]);
    }
}
