package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path root;

    /** A w×h image filled with one colour; PNG is lossless, so pixels read back exactly. */
    static Path writeImage(Path file, int w, int h, int rgb, String format) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, rgb);
        if (!ImageIO.write(img, format, file.toFile())) throw new IllegalStateException("no writer for " + format);
        return file;
    }

    @Test
    void classesAreSortedFolderNamesAndLabelsFollowThem() throws IOException {
        writeImage(root.resolve("zebra/b.png"), 12, 10, 0xffffff, "png");
        writeImage(root.resolve("zebra/a.jpg"), 12, 10, 0xffffff, "jpg");
        writeImage(root.resolve("ant/x.PNG"), 10, 14, 0x000000, "png");
        writeImage(root.resolve("moth/only.jpeg"), 9, 9, 0x808080, "jpg");
        Files.writeString(root.resolve("moth/notes.txt"), "not an image");
        writeImage(root.resolve(".hidden/skip.png"), 8, 8, 0, "png");

        ImageFolder ds = ImageFolder.open(root, ImageTransform.eval(8));
        assertEquals(List.of("ant", "moth", "zebra"), ds.classes());
        assertEquals(4, ds.size());
        List<String> names = new ArrayList<>();
        int[] labels = new int[4];
        for (int i = 0; i < 4; i++) {
            names.add(root.relativize(ds.file(i)).toString());
            labels[i] = ds.label(i);
        }
        assertEquals(List.of("ant/x.PNG", "moth/only.jpeg", "zebra/a.jpg", "zebra/b.png"), names);
        assertArrayEquals(new int[] {0, 1, 2, 2}, labels);
        assertEquals(3, ds.channels());
        assertEquals(8, ds.height());
    }

    @Test
    void pixelsAreDecodedAndNormalised() throws IOException {
        // Pure red PNG: after ImageNet normalisation channel 0 is (1-0.485)/0.229, channels 1 and 2 are -mean/std.
        writeImage(root.resolve("red/r.png"), 20, 16, 0xff0000, "png");
        ImageFolder ds = ImageFolder.open(root, ImageTransform.pretrain(8));
        float[] x = new float[3 * 8 * 8];
        ds.load(0, x, 0, new SplittableRandom(0));
        for (int i = 0; i < 64; i++) {
            assertEquals((1 - 0.485f) / 0.229f, x[i], 1e-4);
            assertEquals(-0.456f / 0.224f, x[64 + i], 1e-4);
            assertEquals(-0.406f / 0.225f, x[128 + i], 1e-4);
        }
    }

    @Test
    void greyPngKeepsItsValueInOneChannel() throws IOException {
        Path f = root.resolve("g/grey.png");
        Files.createDirectories(f.getParent());
        BufferedImage img = new BufferedImage(6, 6, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 6; y++) for (int x = 0; x < 6; x++) img.getRaster().setSample(x, y, 0, 51); // 51/255 = 0.2
        ImageIO.write(img, "png", f.toFile());
        ImageFolder ds = ImageFolder.open(root, new ResizeCenterCrop(6, 1.0), 1, Normalize.fashionMnist());
        float[] x = new float[36];
        ds.load(0, x, 0, null);
        // Read through getRGB, 51 would come back brightened by Java2D's grey-to-sRGB conversion.
        for (float v : x) assertEquals((0.2f - 0.2860f) / 0.3530f, v, 1e-5);
    }

    @Test
    void corruptFileIsAnErrorNamingIt() throws IOException {
        writeImage(root.resolve("a/good.png"), 8, 8, 0x123456, "png");
        Path bad = root.resolve("a/bad.png");
        Files.write(bad, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3}); // a PNG signature, then garbage
        ImageFolder ds = ImageFolder.open(root, ImageTransform.eval(8));
        int badIndex = ds.file(0).equals(bad) ? 0 : 1;
        DataException e = assertThrows(DataException.class, () -> ds.load(badIndex, new float[192], 0, new SplittableRandom(0)));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        assertEquals(bad, e.file());
    }

    @Test
    void truncatedJpegIsAnErrorNotAGreyPicture() throws IOException {
        // Noise makes the entropy-coded scan most of the file, so the cut falls inside it. ImageIO.read() then
        // returns a partly grey image without complaint (checked with JDK 25); only its warning reveals the damage.
        Path full = root.resolve("a/full.jpg");
        Files.createDirectories(full.getParent());
        BufferedImage noise = new BufferedImage(128, 128, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(1);
        for (int y = 0; y < 128; y++) for (int x = 0; x < 128; x++) noise.setRGB(x, y, r.nextInt(0xffffff));
        ImageIO.write(noise, "jpg", full.toFile());
        byte[] bytes = Files.readAllBytes(full);
        Path cut = root.resolve("a/cut.jpg");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        ImageFolder ds = ImageFolder.open(root, ImageTransform.eval(8));
        int cutIndex = ds.file(0).equals(cut) ? 0 : 1;
        ds.load(1 - cutIndex, new float[192], 0, new SplittableRandom(0)); // the intact one decodes
        DataException e = assertThrows(DataException.class, () -> ds.load(cutIndex, new float[192], 0, new SplittableRandom(0)));
        assertTrue(e.getMessage().contains(cut.toString()) && e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void skipBadLeavesCorruptFilesOutAndCountsThem() throws IOException {
        for (int i = 0; i < 5; i++) writeImage(root.resolve("c/img" + i + ".png"), 10, 10, 0x00ff00, "png");
        Files.writeString(root.resolve("c/img2.png"), "garbage");
        ImageFolder ds = ImageFolder.open(root, ImageTransform.pretrain(8));

        Loader.Options opts = new Loader.Options(2, false, 0, 2, false, false);
        try (Loader strict = new Loader(ds, opts, 0)) {
            DataException e = assertThrows(DataException.class, () -> {
                for (Batch b : strict) assertTrue(b.n() > 0);
            });
            assertTrue(e.getMessage().contains("img2.png"), e.getMessage());
        }
        try (Loader lenient = new Loader(ds, opts.withSkipBad(true), 0)) {
            List<Integer> seen = new ArrayList<>();
            int total = 0;
            for (Batch b : lenient) {
                total += b.n();
                for (int i : b.indices()) seen.add(i);
                assertEquals(b.n() * 3 * 8 * 8, b.images().length);
            }
            assertEquals(4, total);
            assertEquals(List.of(0, 1, 3, 4), seen);
            assertEquals(1, lenient.skipped());
            assertTrue(lenient.skippedFiles().get(0).contains("img2.png"));
        }
    }

    @Test
    void emptyClassFolderIsAnError() throws IOException {
        writeImage(root.resolve("a/x.png"), 4, 4, 0, "png");
        Files.createDirectories(root.resolve("b"));
        DataException e = assertThrows(DataException.class, () -> ImageFolder.open(root, ImageTransform.eval(4)));
        assertTrue(e.getMessage().contains(root.resolve("b").toString()), e.getMessage());
    }
}
