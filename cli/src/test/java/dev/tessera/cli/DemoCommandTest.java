package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.data.FashionMnistLocator;
import dev.tessera.eval.ResultFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    @SuppressWarnings("unchecked")
    void endToEndOnAFashionMnistSubsetWhenInstalled() {
        Path dir = FashionMnistLocator.DEBIAN_DIR;
        assumeTrue(Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz")), "Fashion-MNIST not installed at " + dir);
        Path out = tmp.resolve("demo");
        // Seconds, not minutes: 3 s of pre-training, probe and kNN on 300 training and 200 test images.
        String[] r = LinprobeCommandTest.run(new DemoCommand(), "--minutes", "0.05", "--eval-train", "300", "--eval-test", "200",
                "--data", dir.toString(), "--out", out.toString(), "--device", "cpu", "--threads", "2");
        assertEquals("0", r[0], r[2] + r[1]);
        Map<String, Object> s = ResultFile.read(out.resolve("summary.json"));
        assertEquals(List.of("masked_mse", "knn", "linprobe", "pixels_linprobe", "minutes"), List.copyOf(s.keySet()));
        double baseline = ((Number) ((Map<String, Object>) s.get("masked_mse")).get("visible_mean_baseline")).doubleValue();
        assertEquals(0.935, baseline, 0.05, "the visible-mean fill on 200 test images");
        double pixels = ((Number) s.get("pixels_linprobe")).doubleValue();
        assertTrue(pixels > 50 && pixels <= 100, "raw-pixel probe on 300 images: " + pixels);
        assertTrue(r[1].contains("reconstructions: " + out.toAbsolutePath().resolve("pretrain/recon.png")), r[1]);
        assertTrue(Files.isRegularFile(out.resolve("pretrain/loss.png")));
    }

    @Test
    void refusesANonPositiveBudgetAndAnUsedFolder() throws Exception {
        String[] r = LinprobeCommandTest.run(new DemoCommand(), "--minutes", "0");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--minutes must be positive, got 0.0"), r[2]);
        Files.createDirectories(tmp.resolve("used/pretrain"));
        r = LinprobeCommandTest.run(new DemoCommand(), "--out", tmp.resolve("used").toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("already holds a demo"), r[2]);
    }
}
