package dev.tessera.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistLocatorTest {
    static final List<String> NAMES = List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");

    @TempDir
    Path tmp;

    /** The search only checks that the four names exist; reading verifies them, which other tests cover. */
    private Path withFiles(Path dir, List<String> names) throws IOException {
        Files.createDirectories(dir);
        for (String n : names) Files.write(dir.resolve(n), new byte[0]);
        return dir;
    }

    private FashionMnistLocator locator(Path data, Map<String, String> env, URI url) {
        return new FashionMnistLocator(data, env, tmp.resolve("system"), tmp.resolve("home"), url, Duration.ofSeconds(5));
    }

    @Test
    void searchOrderIsDataOptionThenEnvThenSystemThenCache() throws IOException {
        Path data = withFiles(tmp.resolve("data"), NAMES);
        Path envRoot = tmp.resolve("envroot");
        withFiles(envRoot.resolve("fashion-mnist"), NAMES);
        withFiles(tmp.resolve("system"), NAMES);
        Path cache = withFiles(tmp.resolve("home/.cache/tessera/fashion-mnist"), NAMES);
        Map<String, String> env = Map.of("TESSERA_DATA", envRoot.toString());

        assertEquals(data, locator(data, env, null).locate().dir());
        assertEquals(envRoot.resolve("fashion-mnist"), locator(null, env, null).locate().dir());
        assertEquals(tmp.resolve("system"), locator(null, Map.of(), null).locate().dir());
        assertEquals("dataset-fashion-mnist package", locator(null, Map.of(), null).locate().source());

        deleteTree(tmp.resolve("system"));
        FashionMnistLocator.Found found = locator(null, Map.of(), null).locate();
        assertEquals(cache, found.dir());
        assertEquals("cache", found.source());
    }

    @Test
    void dataOptionMayNameTheParentFolder() throws IOException {
        Path root = tmp.resolve("datasets");
        withFiles(root.resolve("fashion-mnist"), NAMES);
        assertEquals(root.resolve("fashion-mnist"), locator(root, Map.of(), null).locate().dir());
    }

    @Test
    void uncompressedFilesCount() throws IOException {
        Path data = withFiles(tmp.resolve("raw"), NAMES.stream().map(n -> n.replace(".gz", "")).toList());
        assertEquals(data, locator(data, Map.of(), null).locate().dir());
    }

    @Test
    void incompleteFolderIsSkippedAndTheErrorSaysWhatIsMissingAndHowToGetIt() throws IOException {
        Path data = withFiles(tmp.resolve("data"), NAMES.subList(0, 3));
        DataException e = assertThrows(DataException.class, () -> locator(data, Map.of(), null).locate());
        String m = e.getMessage();
        assertTrue(m.contains(data + ": missing t10k-labels-idx1-ubyte.gz"), m);
        assertTrue(m.contains("$TESSERA_DATA: not set"), m);
        assertTrue(m.contains(tmp.resolve("system") + ": no such folder"), m);
        assertTrue(m.contains("download: disabled"), m);
        assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
        assertTrue(m.contains(tmp.resolve("home/.cache/tessera/fashion-mnist").toString()), m);
        assertTrue(m.contains("--data FOLDER") && m.contains("TESSERA_DATA=DIR"), m);
    }

    @Test
    void unreachableServerGivesTheHowToMessage() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        URI url = URI.create("http://127.0.0.1:" + port + "/");
        DataException e = assertThrows(DataException.class, () -> locator(null, Map.of(), url).locate());
        assertTrue(e.getMessage().contains("download from " + url + " failed"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        assertNoPartFiles();
    }

    @Test
    void downloadWithWrongContentIsRejectedAndLeavesNothing() throws IOException {
        // Well-formed IDX files of the right ranks, but not Fashion-MNIST's bytes: the checksum must refuse them.
        byte[] images = Files.readAllBytes(IdxFileTest.writeIdx(tmp.resolve("fake-images.gz"), 0x803, new int[] {1, 28, 28}, new byte[784]));
        byte[] labels = Files.readAllBytes(IdxFileTest.writeIdx(tmp.resolve("fake-labels.gz"), 0x801, new int[] {1}, new byte[] {9}));
        withServer(name -> name.contains("images") ? images : labels, url -> {
            DataException e = assertThrows(DataException.class, () -> locator(null, Map.of(), url).locate());
            String m = e.getMessage();
            assertTrue(m.contains("failed verification: " + url + "train-images-idx3-ubyte.gz: SHA-256"), m);
            assertTrue(m.contains(FashionMnistFile.TRAIN_IMAGES.sha256), m);
            assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
        });
        assertNoPartFiles();
        assertFalse(Files.exists(tmp.resolve("home/.cache/tessera/fashion-mnist/train-images-idx3-ubyte.gz")));
    }

    @Test
    void httpErrorIsReported() throws IOException {
        withServer(name -> null, url -> {
            DataException e = assertThrows(DataException.class, () -> locator(null, Map.of(), url).locate());
            assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        });
        assertNoPartFiles();
    }

    @Test
    void downloadOfTheRealFilesLandsVerifiedInTheCache() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnistLocator.DEBIAN_DIR),
                "needs the real files to serve: apt-get install dataset-fashion-mnist");
        withServer(name -> {
            try {
                return Files.readAllBytes(FashionMnistLocator.DEBIAN_DIR.resolve(name));
            } catch (IOException e) {
                return null;
            }
        }, url -> {
            FashionMnistLocator.Found found = locator(null, Map.of(), url).locate();
            assertEquals(tmp.resolve("home/.cache/tessera/fashion-mnist"), found.dir());
            assertTrue(found.source().startsWith("downloaded from"), found.source());
            for (String n : NAMES) assertTrue(Files.isRegularFile(found.dir().resolve(n)), n);
            // A second search finds the cache without downloading.
            assertEquals("cache", locator(null, Map.of(), url).locate().source());
        });
        assertNoPartFiles();
    }

    private void assertNoPartFiles() throws IOException {
        Path cache = tmp.resolve("home/.cache/tessera/fashion-mnist");
        if (!Files.isDirectory(cache)) return;
        try (Stream<Path> s = Files.list(cache)) {
            List<Path> parts = s.filter(p -> p.getFileName().toString().contains(".part")).toList();
            assertTrue(parts.isEmpty(), "leftover partial downloads: " + parts);
        }
    }

    private interface UrlTest {
        void run(URI url) throws IOException;
    }

    /** A local HTTP server answering /NAME with bodies.apply(NAME), or 404 when that is null. */
    private static void withServer(Function<String, byte[]> bodies, UrlTest test) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = bodies.apply(exchange.getRequestURI().getPath().substring(1));
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        server.start();
        try {
            test.run(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"));
        } finally {
            server.stop(0);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted((a, b) -> b.compareTo(a)).toList()) Files.delete(p);
        }
    }
}
