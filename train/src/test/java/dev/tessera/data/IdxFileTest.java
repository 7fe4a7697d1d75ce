package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFileTest {
    @TempDir
    Path dir;

    /** Writes an IDX file by hand: magic as given, big-endian dims, then the bytes; gzipped when name ends in .gz. */
    static Path writeIdx(Path file, int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(magic);
            for (int d : dims) out.writeInt(d);
            out.write(data);
        }
        try (OutputStream os = Files.newOutputStream(file);
             OutputStream out = file.toString().endsWith(".gz") ? new GZIPOutputStream(os) : os) {
            out.write(bytes.toByteArray());
        }
        return file;
    }

    @Test
    void readsGzippedImagesWithTheirDims() throws IOException {
        byte[] data = new byte[2 * 3 * 4];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 10);
        Path f = writeIdx(dir.resolve("imgs-idx3-ubyte.gz"), 0x00000803, new int[] {2, 3, 4}, data);

        IdxFile idx = IdxFile.read(f, 3, null);

        assertArrayEquals(new int[] {2, 3, 4}, idx.dims());
        assertArrayEquals(data, idx.data());
        assertEquals((byte) 230, idx.data()[23]); // unsigned 230 survives as a byte
    }

    @Test
    void readsUncompressedLabels() throws IOException {
        Path f = writeIdx(dir.resolve("labels-idx1-ubyte"), 0x00000801, new int[] {3}, new byte[] {9, 0, 3});
        IdxFile idx = IdxFile.read(f, 1, null);
        assertArrayEquals(new int[] {3}, idx.dims());
        assertArrayEquals(new byte[] {9, 0, 3}, idx.data());
    }

    @Test
    void wrongMagicNamesTheFileAndBothMagics() throws IOException {
        // A labels file (rank 1, magic 0x801) where an images file (rank 3, magic 0x803) is expected.
        Path f = writeIdx(dir.resolve("swapped.gz"), 0x00000801, new int[] {3}, new byte[3]);
        DataException e = assertThrows(DataException.class, () -> IdxFile.read(f, 3, null));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("0x00000801"), e.getMessage());
        assertTrue(e.getMessage().contains("0x00000803"), e.getMessage());
        assertEquals(f, e.file());
    }

    @Test
    void truncatedDataIsAnErrorNamingTheFile() throws IOException {
        Path f = writeIdx(dir.resolve("short.gz"), 0x00000803, new int[] {2, 28, 28}, new byte[100]);
        DataException e = assertThrows(DataException.class, () -> IdxFile.read(f, 3, null));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void trailingBytesAreAnError() throws IOException {
        Path f = writeIdx(dir.resolve("long.gz"), 0x00000801, new int[] {2}, new byte[5]);
        DataException e = assertThrows(DataException.class, () -> IdxFile.read(f, 1, null));
        assertTrue(e.getMessage().contains("continues past"), e.getMessage());
    }

    @Test
    void notGzipIsAnError() throws IOException {
        Path f = Files.writeString(dir.resolve("text.gz"), "hello, not gzip");
        DataException e = assertThrows(DataException.class, () -> IdxFile.read(f, 1, null));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("gzip"), e.getMessage());
    }

    @Test
    void checksumIsOfTheDecompressedBytes() throws IOException {
        Path f = writeIdx(dir.resolve("l.gz"), 0x00000801, new int[] {2}, new byte[] {1, 2});
        // SHA-256 of the 10 bytes 00 00 08 01 00 00 00 02 01 02, from `printf '\x00\x00\x08\x01...' | sha256sum`.
        String sha = "7d8d5bbc33d5b40c823ac6678cbbc756ecb1462a2b5bb7feefb0e7a953dbb0f9";
        assertArrayEquals(new byte[] {1, 2}, IdxFile.read(f, 1, sha).data());

        String wrong = "0".repeat(64);
        DataException e = assertThrows(DataException.class, () -> IdxFile.read(f, 1, wrong));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("SHA-256") && e.getMessage().contains(sha) && e.getMessage().contains(wrong),
                e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        Path f = dir.resolve("nope.gz");
        DataException e = assertThrows(DataException.class, () -> IdxFile.read(f, 1, null));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("no such file"), e.getMessage());
    }
}
