package dev.tessera.data;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Finds the Fashion-MNIST files. Folders are tried in this order, and the first that holds all four files
 * (.gz, or already decompressed) wins:
 * <ol>
 *   <li>the {@code --data DIR} option (DIR itself, or DIR/fashion-mnist);</li>
 *   <li>{@code $TESSERA_DATA/fashion-mnist};</li>
 *   <li>{@code /usr/share/datasets/fashion-mnist}, where Debian's {@code dataset-fashion-mnist} package puts them;</li>
 *   <li>the cache {@code ~/.cache/tessera/fashion-mnist};</li>
 * </ol>
 * and if none does, the missing files are downloaded from the official site into the cache, verified first.
 * When that fails too, the error lists every place tried and the three ways to provide the data. There is no
 * synthetic stand-in: a run on made-up data must never look like a run on Fashion-MNIST.
 *
 * <p>Everything the search reads from the process (environment, home folder) is passed in, so tests can point
 * it at temporary folders; {@link #standard} wires the real ones.
 */
public final class FashionMnistLocator {
    public static final URI OFFICIAL_URL = URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String ENV_VAR = "TESSERA_DATA";

    /** Where the files were found, and a few words saying which rule found them (for the run log). */
    public record Found(Path dir, String source) {}

    private final Path dataOption;
    private final Map<String, String> env;
    private final Path systemDir;
    private final Path home;
    private final URI downloadUrl;
    private final Duration timeout;

    /**
     * @param dataOption  the {@code --data} folder, or null when not given
     * @param env         the environment ({@code System.getenv()} in the application)
     * @param systemDir   the distribution's folder ({@link #DEBIAN_DIR} in the application)
     * @param home        the user's home folder; the cache is {@code home/.cache/tessera/fashion-mnist}
     * @param downloadUrl base URL to download from, or null to never download
     * @param timeout     connect and response timeout of each download request
     */
    public FashionMnistLocator(Path dataOption, Map<String, String> env, Path systemDir, Path home, URI downloadUrl,
                               Duration timeout) {
        this.dataOption = dataOption;
        this.env = Objects.requireNonNull(env, "env");
        this.systemDir = Objects.requireNonNull(systemDir, "systemDir");
        this.home = Objects.requireNonNull(home, "home");
        this.downloadUrl = downloadUrl;
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** The search the application uses: real environment, Debian folder, user home, official URL, 30 s timeout. */
    public static FashionMnistLocator standard(Path dataOption) {
        return new FashionMnistLocator(dataOption, System.getenv(), DEBIAN_DIR, Path.of(System.getProperty("user.home")),
                OFFICIAL_URL, Duration.ofSeconds(30));
    }

    public Path cacheDir() {
        return home.resolve(".cache").resolve("tessera").resolve("fashion-mnist");
    }

    /**
     * Returns the first folder holding all four files, downloading into the cache if none does.
     *
     * @throws DataException listing each place tried and how to provide the files
     */
    public Found locate() {
        List<String> tried = new ArrayList<>();
        if (dataOption == null) {
            tried.add("--data: not given");
        } else {
            for (Path dir : List.of(dataOption, dataOption.resolve("fashion-mnist"))) {
                String why = missing(dir);
                if (why == null) return new Found(dir, "--data " + dataOption);
                tried.add("--data " + why);
            }
        }
        String root = env.get(ENV_VAR);
        if (root == null || root.isBlank()) {
            tried.add("$" + ENV_VAR + ": not set");
        } else {
            Path dir = Path.of(root).resolve("fashion-mnist");
            String why = missing(dir);
            if (why == null) return new Found(dir, "$" + ENV_VAR + "/fashion-mnist");
            tried.add("$" + ENV_VAR + "/fashion-mnist " + why);
        }
        for (Path dir : List.of(systemDir, cacheDir())) {
            String why = missing(dir);
            if (why == null) return new Found(dir, dir.equals(cacheDir()) ? "cache" : "dataset-fashion-mnist package");
            tried.add(why);
        }
        String downloadFailure;
        if (downloadUrl == null) {
            downloadFailure = "download: disabled";
        } else {
            try {
                return download();
            } catch (IOException e) {
                downloadFailure = "download from " + downloadUrl + " failed: " + e.getMessage();
            }
        }
        throw new DataException(notFoundMessage(tried, downloadFailure));
    }

    private Found download() throws IOException {
        Path dir = cacheDir();
        Files.createDirectories(dir);
        for (FashionMnistFile f : FashionMnistFile.values()) {
            if (f.find(dir) == null) Download.fetch(downloadUrl, f, dir, timeout);
        }
        return new Found(dir, "downloaded from " + downloadUrl);
    }

    /** Null when dir holds all four files, else a line saying what is missing there. */
    private static String missing(Path dir) {
        if (!Files.isDirectory(dir)) return dir + ": no such folder";
        List<String> absent = new ArrayList<>();
        for (FashionMnistFile f : FashionMnistFile.values()) if (f.find(dir) == null) absent.add(f.gzName());
        return absent.isEmpty() ? null : dir + ": missing " + String.join(", ", absent);
    }

    private String notFoundMessage(List<String> tried, String downloadFailure) {
        StringBuilder sb = new StringBuilder("Fashion-MNIST not found. Looked in:\n");
        for (String t : tried) sb.append("  ").append(t).append('\n');
        sb.append("  ").append(downloadFailure).append('\n');
        sb.append("To provide it, do one of:\n");
        sb.append("  - sudo apt-get install dataset-fashion-mnist   (Debian/Ubuntu; installs into ").append(systemDir).append(")\n");
        sb.append("  - put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and\n");
        sb.append("    t10k-labels-idx1-ubyte.gz (from ").append(OFFICIAL_URL).append(") into ").append(cacheDir());
        sb.append("\n    or into any folder and pass --data FOLDER\n");
        sb.append("  - set ").append(ENV_VAR).append("=DIR, with the four files in DIR/fashion-mnist");
        return sb.toString();
    }
}
