package dev.tessera.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * An unsigned-byte array in LeCun's IDX format (the MNIST / Fashion-MNIST files): a 4-byte magic
 * {@code 00 00 08 <rank>}, then {@code rank} big-endian int32 dimensions, then the bytes in row-major order.
 * Files whose name ends in {@code .gz} are gunzipped on the fly.
 *
 * @param dims the dimensions, e.g. [60000, 28, 28] for training images
 * @param data the values, row-major
 */
public record IdxFile(int[] dims, byte[] data) {

    /** Magic number of an unsigned-byte IDX array of the given rank. */
    public static int magic(int rank) {
        return 0x0800 | rank;
    }

    /**
     * Reads an unsigned-byte IDX array of the given rank. When {@code sha256} is not null it must equal the SHA-256
     * of the decompressed IDX bytes (header included); see {@link FashionMnistFile} for why the decompressed
     * bytes are what we check.
     *
     * @throws DataException naming the file when it is missing, unreadable, not gzip, has the wrong magic,
     *     is truncated or longer than its header says, or fails the checksum
     */
    public static IdxFile read(Path file, int rank, String sha256) {
        return read(file, file.toString(), rank, sha256);
    }

    /** As {@link #read(Path, int, String)}, with messages naming the file as {@code name} (a download's URL). */
    static IdxFile read(Path file, String name, int rank, String sha256) {
        MessageDigest digest = sha256Digest();
        try (InputStream raw = Files.newInputStream(file);
             InputStream unzipped = file.getFileName().toString().endsWith(".gz")
                     ? new GZIPInputStream(raw, 1 << 16) : new BufferedInputStream(raw, 1 << 16);
             DataInputStream in = new DataInputStream(new DigestInputStream(unzipped, digest))) {
            IdxFile idx = parse(in, file, name, rank);
            if (in.read() != -1) {
                throw new DataException(file, name + ": IDX data continues past the " + idx.data.length
                        + " bytes its header " + Arrays.toString(idx.dims) + " declares", null);
            }
            if (sha256 != null) {
                String actual = HexFormat.of().formatHex(digest.digest());
                if (!actual.equals(sha256)) {
                    throw new DataException(file, name + ": SHA-256 of the decompressed IDX data is " + actual
                            + " but " + sha256 + " was expected (corrupt or a different file; delete it and fetch it again)", null);
                }
            }
            return idx;
        } catch (NoSuchFileException e) {
            throw new DataException(file, name + ": no such file", e);
        } catch (ZipException e) {
            throw new DataException(file, name + ": not a valid gzip file (" + e.getMessage() + ")", e);
        } catch (EOFException e) {
            throw new DataException(file, name + ": truncated IDX file (ends before the data its header declares)", e);
        } catch (IOException e) {
            throw new DataException(file, name + ": cannot read (" + e + ")", e);
        }
    }

    private static IdxFile parse(DataInputStream in, Path file, String name, int rank) throws IOException {
        int magic = in.readInt();
        if (magic != magic(rank)) {
            throw new DataException(file, String.format("%s: IDX magic number is 0x%08X but expected 0x%08X "
                    + "(unsigned bytes, %d dimensions)", name, magic, magic(rank), rank), null);
        }
        int[] dims = new int[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = in.readInt();
            if (dims[i] < 0) throw new DataException(file, name + ": IDX dimension " + i + " is negative (" + dims[i] + ")", null);
            n *= dims[i];
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new DataException(file, name + ": IDX dims " + Arrays.toString(dims) + " hold " + n + " bytes, too many for one array", null);
        }
        byte[] data = new byte[(int) n];
        in.readFully(data);
        return new IdxFile(dims, data);
    }

    static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256 (every Java SE platform must)", e);
        }
    }
}
