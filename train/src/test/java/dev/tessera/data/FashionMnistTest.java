package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads the real Fashion-MNIST when this machine has it; facts checked are from the dataset's documentation. */
class FashionMnistTest {
    static Path dir;

    @BeforeAll
    static void find() {
        try {
            dir = new FashionMnistLocator(null, System.getenv(), FashionMnistLocator.DEBIAN_DIR,
                    Path.of(System.getProperty("user.home")), null, java.time.Duration.ofSeconds(1)).locate().dir();
        } catch (DataException e) {
            dir = null;
        }
    }

    private static void assumeData() {
        assumeTrue(dir != null, "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist, or set TESSERA_DATA)");
    }

    @Test
    void trainAndTestSplitsHaveTheDocumentedSizesAndBalancedClasses() {
        assumeData();
        FashionMnist train = FashionMnist.read(dir, FashionMnist.Split.TRAIN);
        FashionMnist test = FashionMnist.read(dir, FashionMnist.Split.TEST);
        assertEquals(60000, train.size());
        assertEquals(10000, test.size());
        assertEquals(10, train.numClasses());
        assertEquals(1, train.channels());
        assertEquals(28, train.height());
        // The dataset has exactly 6000 training and 1000 test images per class.
        int[] trainCounts = new int[10], testCounts = new int[10];
        for (int i = 0; i < train.size(); i++) trainCounts[train.label(i)]++;
        for (int i = 0; i < test.size(); i++) testCounts[test.label(i)]++;
        for (int c = 0; c < 10; c++) {
            assertEquals(6000, trainCounts[c], "train class " + c);
            assertEquals(1000, testCounts[c], "test class " + c);
        }
        // The first training and test images are both ankle boots (label 9), as the Zalando README's sprite shows
        // and `zcat train-labels-idx1-ubyte.gz | xxd` confirms (byte 8 is 0x09).
        assertEquals(9, train.label(0));
        assertEquals(9, test.label(0));
    }

    @Test
    void samplesAreNormalisedWithFashionMnistStatistics() {
        assumeData();
        FashionMnist train = FashionMnist.read(dir, FashionMnist.Split.TRAIN);
        float[] x = new float[28 * 28];
        train.load(0, x, 0, new SplittableRandom(0));
        byte[] raw = train.rawPixels(0);
        // Pixel (14, 14) of the first image is 217 (numpy: np.frombuffer(...)[16:][14*28+14]); corner pixels are 0.
        assertEquals(217, raw[14 * 28 + 14] & 0xff);
        assertEquals((217 / 255f - 0.2860f) / 0.3530f, x[14 * 28 + 14], 1e-6);
        assertEquals(-0.2860f / 0.3530f, x[0], 1e-6);
    }

    @Test
    void randomResizedCropKeepsTheSizeWhenAsked() {
        assumeData();
        FashionMnist aug = FashionMnist.read(dir, FashionMnist.Split.TEST).withTransform(new RandomResizedCrop(28, 0.2, 1, 0.75, 4 / 3.0, true));
        assertEquals(28, aug.height());
        float[] a = new float[784], b = new float[784];
        aug.load(5, a, 0, new SplittableRandom(1));
        aug.load(5, b, 0, new SplittableRandom(1));
        assertTrue(java.util.Arrays.equals(a, b), "same rng state, same sample");
    }

    @Test
    void corruptedFileFailsItsChecksum(@TempDir Path tmp) throws IOException {
        // Fashion-MNIST-shaped files with made-up contents: the parser accepts them, the checksum must not.
        IdxFileTest.writeIdx(tmp.resolve("t10k-images-idx3-ubyte.gz"), 0x803, new int[] {2, 28, 28}, new byte[2 * 784]);
        IdxFileTest.writeIdx(tmp.resolve("t10k-labels-idx1-ubyte.gz"), 0x801, new int[] {2}, new byte[] {9, 2});
        DataException e = assertThrows(DataException.class, () -> FashionMnist.read(tmp, FashionMnist.Split.TEST));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte.gz") && e.getMessage().contains("SHA-256"), e.getMessage());
        assertTrue(e.getMessage().contains(FashionMnistFile.TEST_IMAGES.sha256), e.getMessage());
    }

    @Test
    void debianFilesMatchTheEmbeddedChecksums() {
        assumeTrue(Files.isDirectory(FashionMnistLocator.DEBIAN_DIR), "dataset-fashion-mnist package not installed");
        for (FashionMnistFile f : FashionMnistFile.values()) f.read(FashionMnistLocator.DEBIAN_DIR); // throws on mismatch
    }
}
