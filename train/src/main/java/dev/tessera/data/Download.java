package dev.tessera.data;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * Fetches one Fashion-MNIST file over HTTP into a folder, verifying it before it appears there: the body goes to
 * a temporary file in the same folder, is parsed and checked against its SHA-256 ({@link IdxFile#read}), and only
 * then renamed into place (atomic within one file system). A failed or interrupted download leaves nothing that
 * a later run could mistake for the real file. The official site serves plain HTTP, so the checksum is the only
 * protection against a tampered or damaged copy.
 */
final class Download {
    private static final int MAX_REDIRECTS = 5;

    private Download() {}

    /** Downloads {@code file} from {@code base} into {@code dir}; the IOException message names the URL. */
    static Path fetch(URI base, FashionMnistFile file, Path dir, Duration timeout) throws IOException {
        URI url = base.resolve(file.gzName());
        Path target = dir.resolve(file.gzName());
        Path part = Files.createTempFile(dir, "." + file.baseName + "-", ".part.gz");
        try {
            copy(url, part, timeout);
            try {
                IdxFile.read(part, url.toString(), file.rank, file.sha256);
            } catch (DataException e) {
                throw new IOException("downloaded file failed verification: " + e.getMessage(), e);
            }
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            // ConnectException and friends often carry no message; the class name is then the useful part.
            throw e.getMessage() != null && e.getMessage().contains(url.toString()) ? e
                    : new IOException(url + ": " + e, e);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /**
     * GET {@code url} into {@code part}, following up to {@value #MAX_REDIRECTS} redirects (never from https to
     * http). java.net's HttpURLConnection rather than java.net.http's client: it is in java.base, so the bundled
     * runtime needs no extra module for the one download Tessera makes.
     */
    private static void copy(URI url, Path part, Duration timeout) throws IOException {
        URI at = url;
        for (int hop = 0; ; hop++) {
            HttpURLConnection c = (HttpURLConnection) at.toURL().openConnection();
            c.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            c.setInstanceFollowRedirects(false);
            try {
                int code = c.getResponseCode();
                if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
                    String location = c.getHeaderField("Location");
                    if (location == null || hop >= MAX_REDIRECTS) throw new IOException(at + " answered HTTP " + code + " without a usable redirect");
                    URI next = at.resolve(location);
                    if (at.getScheme().equals("https") && !"https".equals(next.getScheme())) {
                        throw new IOException(at + " redirects from https to " + next + "; refused");
                    }
                    at = next;
                    continue;
                }
                if (code != 200) throw new IOException(at + " answered HTTP " + code);
                try (InputStream in = c.getInputStream()) {
                    Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                }
                return;
            } finally {
                c.disconnect();
            }
        }
    }
}
