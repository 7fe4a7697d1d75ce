package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.train.testing.TinyRun;
import dev.tessera.train.AlignmentFigure;
import dev.tessera.train.MaskingFigure;
import dev.tessera.viz.ImageGrid;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tessera figure}: the three pictures from real (tiny) checkpoints, their sizes, and the refusals. */
class FigureCommandTest {
    @TempDir
    static Path tmp;
    static Path mae, cae, caeTokens, images, bars;

    @BeforeAll
    static void checkpoints() throws IOException {
        mae = TinyRun.checkpoint(tmp.resolve("mae"), 2);                      // 8×8 images, 2×2 patches of 4
        bars = TinyRun.imageFolder(tmp.resolve("bars"), 2, 2);                // its images (the run's were given in code)
        images = Cli.greyFolder(tmp.resolve("grey"), 2, 5, 28);
        String[] common = {"--data", images.toString(), "--batch", "4", "--device", "cpu", "--threads", "2", "--workers", "1", "--steps", "1"};
        Cli.Result r = Cli.tessera(concat(new String[] {"pretrain", "cae", "--out", tmp.resolve("cae").toString()}, common));
        assertEquals(0, r.exit(), r.toString());
        cae = tmp.resolve("cae/checkpoint.safetensors");
        Path tok = tmp.resolve("k4.safetensors");
        r = Cli.tessera("tokenizer", "fit", "--data", images.toString(), "--k", "4", "--images", "10", "--out", tok.toString(),
                "--device", "cpu", "--threads", "2");
        assertEquals(0, r.exit(), r.toString());
        r = Cli.tessera(concat(new String[] {"pretrain", "cae", "--target", "tokens", "--tokenizer", tok.toString(), "--out",
                tmp.resolve("cae-tok").toString()}, common));
        assertEquals(0, r.exit(), r.toString());
        caeTokens = tmp.resolve("cae-tok/checkpoint.safetensors");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** Reads the PNG and checks it has the grid's size for {@code rows} × {@code cols} cells of side×side images. */
    private static BufferedImage assertGrid(Path png, int rows, int cols, int side) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img != null, png + " is not a readable PNG");
        ImageGrid g = new ImageGrid(1, side, side).titles("t");
        int cell = side * g.scale();
        assertEquals(ImageGrid.PAD + cols * (cell + ImageGrid.PAD), img.getWidth(), "width");
        assertEquals(g.cellOrigin(rows - 1, 0)[1] + cell + ImageGrid.PAD, img.getHeight(), "height");
        return img;
    }

    @Test
    void alignmentFigureOfACae() throws IOException {
        Path out = tmp.resolve("figs/align.png");
        Cli.Result r = Cli.tessera("figure", "alignment", "--checkpoint", cae.toString(), "--out", out.toString(), "--device", "cpu");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("alignment figure of"), r.out());
        // the run's data has no val/, so its held-out images are the 10 training images: 8 rows of 4 columns
        BufferedImage img = assertGrid(out, AlignmentFigure.IMAGES, 4, 28);
        ImageGrid g = new ImageGrid(1, 28, 28).titles("t");
        int[] o = g.cellOrigin(0, 1);                                            // encoder(all) → decoder of image 0
        java.util.Set<Integer> shades = new java.util.HashSet<>();
        int cell = 28 * g.scale();
        for (int y = 0; y < cell; y += g.scale()) for (int x = 0; x < cell; x += g.scale()) shades.add(img.getRGB(o[0] + x, o[1] + y));
        assertTrue(shades.size() > 3, "the decoded picture is not flat");
    }

    @Test
    void maskRatiosAndStrategiesOfAnMae() throws IOException {
        Path ratios = tmp.resolve("ratios.png"), strategies = tmp.resolve("strategies.png");
        Cli.Result r = Cli.tessera("figure", "mask-ratios", "--checkpoint", mae.toString(), "--data", bars.toString(), "--out",
                ratios.toString(), "--device", "cpu");
        assertEquals(0, r.exit(), r.toString());
        assertGrid(ratios, 2 * MaskingFigure.IMAGES, 1 + MaskingFigure.RATIOS.length, 8);
        r = Cli.tessera("figure", "mask-strategies", "--checkpoint", mae.toString(), "--data", bars.toString(), "--out",
                strategies.toString(), "--device", "cpu");
        assertEquals(0, r.exit(), r.toString());
        assertGrid(strategies, MaskingFigure.IMAGES, 7, 8);
    }

    @Test
    void runOnDataGivenInCodeNeedsData() {
        Cli.Result r = Cli.tessera("figure", "mask-ratios", "--checkpoint", mae.toString(), "--out", tmp.resolve("c.png").toString());
        assertTrue(r.exit() != 0 && r.err().contains("name the images to draw with --data"), r.toString());
    }

    @Test
    void badInputFailsWithOneClearLine() {
        Path out = tmp.resolve("bad/x.png");
        Cli.Result r = Cli.tessera("figure", "alignment", "--checkpoint", mae.toString(), "--out", out.toString(), "--device", "cpu");
        assertTrue(r.exit() != 0 && r.err().contains("figure alignment needs a CAE checkpoint; " + mae + " holds"), r.toString());
        r = Cli.tessera("figure", "mask-ratios", "--checkpoint", cae.toString(), "--out", out.toString(), "--device", "cpu");
        assertTrue(r.exit() != 0 && r.err().contains("figure mask-ratios needs an MAE checkpoint"), r.toString());
        r = Cli.tessera("figure", "alignment", "--checkpoint", caeTokens.toString(), "--out", out.toString(), "--device", "cpu");
        assertTrue(r.exit() != 0 && r.err().contains("not pixels: the alignment figure needs a pixel-target CAE"), r.toString());
        r = Cli.tessera("figure", "heatmap", "--checkpoint", cae.toString(), "--out", out.toString());
        assertTrue(r.exit() != 0 && r.err().contains("KIND must be alignment, mask-ratios or mask-strategies, got 'heatmap'"), r.toString());
        r = Cli.tessera("figure", "alignment", "--checkpoint", tmp.resolve("none.safetensors").toString(), "--out", out.toString());
        assertTrue(r.exit() != 0 && r.err().contains("no such file"), r.toString());
        r = Cli.tessera("figure", "alignment", "--checkpoint", cae.toString(), "--out", tmp.resolve("x.jpg").toString());
        assertTrue(r.exit() != 0 && r.err().contains("give a file name ending in .png"), r.toString());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertFalse(Files.exists(out), "nothing written on bad input");
    }
}
