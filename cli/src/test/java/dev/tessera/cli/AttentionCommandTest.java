package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.train.testing.TinyRun;
import dev.tessera.viz.ImageGrid;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttentionCommandTest {
    @TempDir
    static Path tmp;
    static Path data, checkpoint;

    @BeforeAll
    static void fixtures() {
        data = TinyRun.imageFolder(tmp.resolve("images"), 4, 4);
        checkpoint = TinyRun.checkpoint(tmp.resolve("run"), 2);
    }

    @Test
    void drawsEightImagesAndTheirMapsAtTheExpectedSize() throws IOException {
        Path png = tmp.resolve("attn.png");
        String[] r = LinprobeCommandTest.run(new AttentionCommand(), "--checkpoint", checkpoint.toString(), "--out", png.toString(),
                "--data", data.toString(), "--device", "cpu");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("cls attention of block 1 (mean of 2 heads) over 8 test images"), r[1]);
        BufferedImage img = ImageIO.read(png.toFile());
        // 8 columns of 8×8 images enlarged ×13 (ImageGrid.autoScale), two rows (images, overlays), 2-px padding
        int cell = 8 * ImageGrid.autoScale(8, 8), pad = ImageGrid.PAD;
        assertEquals(pad + 8 * (cell + pad), img.getWidth());
        assertEquals(pad + 2 * (cell + pad), img.getHeight());
    }

    @Test
    void needsACheckpointOrRandomInit() {
        String[] r = LinprobeCommandTest.run(new AttentionCommand(), "--out", tmp.resolve("x.png").toString(), "--data", data.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("give --checkpoint FILE, or --random-init"), r[2]);
    }
}
