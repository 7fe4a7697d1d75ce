package dev.tessera.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The torch.save container around the pickle: archive layout, storages, strided views and the files that are not
 * state dicts. The pickles are CPython's ({@code pickle.Pickler} with torch.save's persistent id for one FloatStorage
 * of 6 elements, key '0'); the files that PyTorch itself wrote are tested in the tests module (InteropGoldenTest).
 */
class TorchCheckpointTest {
    @TempDir
    Path dir;

    // {"w": _rebuild_tensor_v2(storage, offset 0, size (3, 2), stride (1, 3), False, OrderedDict())}: a transposed view
    private static final String TRANSPOSED = "80027d7100580100000077710163746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a"
            + "71022828580700000073746f72616765710363746f7263680a466c6f617453746f726167650a71045801000000307105580300000063707571064b06"
            + "747107514b004b034b028671084b014b038671098963636f6c6c656374696f6e730a4f726465726564446963740a710a2952710b74710c52710d732e";
    // the same with offset 1, size (2, 3), stride (3, 1): its last element would be storage element 6 of 0..5
    private static final String PAST_THE_END = "80027d7100580100000077710163746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76"
            + "320a71022828580700000073746f72616765710363746f7263680a466c6f617453746f726167650a71045801000000307105580300000063707571"
            + "064b06747107514b014b024b038671084b034b018671098963636f6c6c656374696f6e730a4f726465726564446963740a710a2952710b74710c52"
            + "710d732e";

    private Path archive(String name, String pickleHex, float[] storage) throws IOException {
        Path f = dir.resolve(name + ".pth");
        try (OutputStream out = Files.newOutputStream(f); ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry(name + "/data.pkl"));
            z.write(HexFormat.of().parseHex(pickleHex));
            z.putNextEntry(new ZipEntry(name + "/data/0"));
            ByteBuffer b = ByteBuffer.allocate(4 * storage.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : storage) b.putFloat(v);
            z.write(b.array());
            z.putNextEntry(new ZipEntry(name + "/version"));
            z.write("3\n".getBytes());
        }
        return f;
    }

    @Test
    void stridedViewIsGatheredInRowMajorOrder() throws IOException {
        Path f = archive("transposed", TRANSPOSED, new float[] {0, 1, 2, 3, 4, 5});
        TorchCheckpoint.StateDict sd = TorchCheckpoint.readStateDict(f);
        assertEquals("the top level", sd.location());
        TensorData w = sd.tensors().get("w");
        assertArrayEquals(new int[] {3, 2}, w.shape());
        // element (i, j) is storage[i·1 + j·3]: the transpose of [[0, 1, 2], [3, 4, 5]]
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, w.floats());
    }

    @Test
    void aViewPastItsStorageIsNamed() throws IOException {
        Path f = archive("past", PAST_THE_END, new float[] {0, 1, 2, 3, 4, 5});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchCheckpoint.readStateDict(f));
        assertTrue(e.getMessage().contains("tensor 'w' [2, 3] at offset 1 with strides [3, 1] reaches element 6 of a storage of 6"),
                e.getMessage());
    }

    @Test
    void storageOfTheWrongSizeIsRefused() throws IOException {
        Path f = archive("short", TRANSPOSED, new float[] {0, 1, 2, 3, 4});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchCheckpoint.readStateDict(f));
        assertTrue(e.getMessage().contains("storage 0 holds 20 bytes but its id says 6 × 4"), e.getMessage());
    }

    @Test
    void legacyAndTorchScriptFilesAreRecognised() throws IOException {
        Path legacy = dir.resolve("old.pth");
        Files.write(legacy, HexFormat.of().parseHex("80028a0a6ce8"));    // PROTO 2, LONG1 magic number…: torch < 1.6
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchCheckpoint.readStateDict(legacy)).getMessage()
                .contains("legacy format (before 1.6)"));
        Path script = dir.resolve("script.pt");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(script))) {
            z.putNextEntry(new ZipEntry("script/data.pkl"));
            z.write(HexFormat.of().parseHex("80027d712e"));
            z.putNextEntry(new ZipEntry("script/constants.pkl"));
            z.write(HexFormat.of().parseHex("8002292e"));
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchCheckpoint.readStateDict(script)).getMessage()
                .contains("TorchScript archive"));
        Path text = dir.resolve("notes.pth");
        Files.writeString(text, "hello");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TorchCheckpoint.readStateDict(text)).getMessage()
                .contains("not a PyTorch checkpoint"));
    }
}
