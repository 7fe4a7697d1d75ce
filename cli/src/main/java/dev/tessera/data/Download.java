package dev.tessera.data;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * Fetches one Fashion-MNIST file over HTTP into a folder, verifying it before it appears there: the body goes to
 * a temporary file in the same folder, is parsed and checked against its SHA-256 ({@link IdxFile#read}), and only
 * then renamed into place (atomic within one file system). A failed or interrupted download leaves nothing that
 * a later run could mistake for the real file. The official site serves plain HTTP, so the checksum is the only
 * protection against a tampered or damaged copy.
 */
final class Download {
    private Download() {}

    /** Downloads {@code file} from {@code base} into {@code dir}; the IOException message names the URL. */
    static Path fetch(URI base, FashionMnistFile file, Path dir, Duration timeout) throws IOException {
        URI url = base.resolve(file.gzName());
        Path target = dir.resolve(file.gzName());
        Path part = Files.createTempFile(dir, "." + file.baseName + "-", ".part.gz");
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL).build()) {
            HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).GET().build();
            HttpResponse<Path> response = client.send(request,
                    HttpResponse.BodyHandlers.ofFile(part, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING));
            if (response.statusCode() != 200) throw new IOException(url + " answered HTTP " + response.statusCode());
            try {
                IdxFile.read(part, url.toString(), file.rank, file.sha256);
            } catch (DataException e) {
                throw new IOException("downloaded file failed verification: " + e.getMessage(), e);
            }
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("download of " + url + " was interrupted", e);
        } catch (IOException e) {
            // ConnectException and friends often carry no message; the class name is then the useful part.
            throw e.getMessage() != null && e.getMessage().contains(url.toString()) ? e
                    : new IOException(url + ": " + e, e);
        } finally {
            Files.deleteIfExists(part);
        }
    }
}
