package dev.tessera.data;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The four files of Fashion-MNIST (github.com/zalandoresearch/fashion-mnist) and their checksums.
 *
 * <p>The checksums are SHA-256 of the <em>decompressed</em> IDX bytes, not of the .gz files. The same data
 * ships in differently compressed archives: Debian's {@code dataset-fashion-mnist} re-gzipped the originals
 * (no file name in the gzip header, a 2020 time stamp; each .gz is 23–24 bytes smaller than the official one and
 * has a different MD5 from the official 8d4fb7e6…, 25c81989…, bef4ecab…, bb300cfd…), and a checksum of the
 * compressed bytes could accept only one source. The values below were computed from the Debian package's files.
 */
enum FashionMnistFile {
    TRAIN_IMAGES("train-images-idx3-ubyte", 3, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    TRAIN_LABELS("train-labels-idx1-ubyte", 1, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    TEST_IMAGES("t10k-images-idx3-ubyte", 3, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    TEST_LABELS("t10k-labels-idx1-ubyte", 1, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34");

    final String baseName;
    final int rank;
    final String sha256;

    FashionMnistFile(String baseName, int rank, String sha256) {
        this.baseName = baseName;
        this.rank = rank;
        this.sha256 = sha256;
    }

    /** The name the official site and the Debian package use. */
    String gzName() {
        return baseName + ".gz";
    }

    /** This file inside dir: the .gz if present, else an already decompressed copy, else null. */
    Path find(Path dir) {
        Path gz = dir.resolve(gzName());
        if (Files.isRegularFile(gz)) return gz;
        Path raw = dir.resolve(baseName);
        return Files.isRegularFile(raw) ? raw : null;
    }

    IdxFile read(Path dir) {
        Path p = find(dir);
        return IdxFile.read(p != null ? p : dir.resolve(gzName()), rank, sha256);
    }
}
