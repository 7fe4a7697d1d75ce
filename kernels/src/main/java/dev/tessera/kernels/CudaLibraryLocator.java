package dev.tessera.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Finds a CUDA library that Tessera binds through FFM at run time: {@code libcublas.so.13} (and
 * {@code libcublasLt.so.13} beside it) for {@link Cublas13}, {@code libnccl.so.2} for {@link Nccl}. CUDA machines
 * carry these in different places — a toolkit under /usr/local/cuda, Debian's packages, or only PyTorch's
 * {@code nvidia-*} wheels inside python3's site-packages — and Tessera ships no native library of its own, so it
 * looks, in this order, and only in these folders (never a file-system walk):
 * <ol>
 *   <li>an explicit setting: the library's environment variable ({@code TESSERA_CUBLAS}, {@code TESSERA_NCCL}) or
 *       system property ({@code -Dtessera.cublas}, {@code -Dtessera.nccl}), a file or a folder.
 *       When set it is the only place tried: a wrong setting is reported, never replaced by another library;</li>
 *   <li>each folder of {@code LD_LIBRARY_PATH};</li>
 *   <li>{@code $CUDA_HOME/lib64} and {@code $CUDA_HOME/targets/x86_64-linux/lib};</li>
 *   <li>{@code /usr/local/cuda*}{@code /lib64} and {@code /targets/x86_64-linux/lib} (cuda first, then versioned
 *       folders newest first), and Debian's {@code /usr/lib/x86_64-linux-gnu};</li>
 *   <li>the {@code nvidia/*}{@code /lib} folders of python3's site-packages (where {@code pip install torch} puts
 *       the CUDA wheels); python3 is asked for its site-packages once, with a timeout, and only when nothing
 *       before matched.</li>
 * </ol>
 * A folder whose library fails to load (wrong architecture, a missing dependency) is noted and the search goes on.
 * The loader is a parameter so the tests check the order on fake folder trees without loading anything.
 */
final class CudaLibraryLocator {
    static final String CUBLAS = "libcublas.so.13";
    static final String CUBLAS_LT = "libcublasLt.so.13";
    static final String ENV = "TESSERA_CUBLAS";
    static final String PROPERTY = "tessera.cublas";

    /**
     * What to look for: the library's file, an optional companion loaded from the same folder (or null), and the
     * names of its explicit setting.
     */
    record Library(String file, String companion, String env, String property) {}

    static final Library CUBLAS_LIBRARY = new Library(CUBLAS, CUBLAS_LT, ENV, PROPERTY);
    static final Library NCCL_LIBRARY = new Library("libnccl.so.2", null, "TESSERA_NCCL", "tessera.nccl");

    /** The library files found in one folder, and which rule found them. {@code companion} may be null. */
    record Found(Path library, Path companion, String source) {
        String describe() {
            return library + " (" + source + ")";
        }
    }

    /** Opens the libraries of one {@link Found}; throws when they cannot be used. */
    @FunctionalInterface
    interface Loader<T> {
        T load(Found found);
    }

    /** What {@link #locate} loaded, and from where. */
    record Located<T>(T library, Found found) {}

    private record Place(Path dir, String source) {}

    private final Library library;
    private final Map<String, String> env;
    private final String property;
    private final Path root;
    private final Supplier<List<Path>> sitePackages;

    /**
     * @param library      what to find
     * @param env          the environment (the library's setting, LD_LIBRARY_PATH, CUDA_HOME)
     * @param property     the value of the library's system property, or null
     * @param root         "/" (a temporary folder in tests): where /usr/local/cuda* and /usr/lib are looked for
     * @param sitePackages python3's site-packages folders, asked only when needed
     */
    CudaLibraryLocator(Library library, Map<String, String> env, String property, Path root, Supplier<List<Path>> sitePackages) {
        this.library = library;
        this.env = env;
        this.property = property;
        this.root = root;
        this.sitePackages = sitePackages;
    }

    /** This machine: the process environment, system properties, "/", and the python3 on PATH. */
    static CudaLibraryLocator system() {
        return system(CUBLAS_LIBRARY);
    }

    /** {@code library} on this machine. */
    static CudaLibraryLocator system(Library library) {
        return new CudaLibraryLocator(library, System.getenv(), System.getProperty(library.property()), Path.of("/"),
                CudaLibraryLocator::askPython);
    }

    /** The first folder holding the library (existence only: nothing is loaded). */
    Found find() {
        return locate(found -> found).found();
    }

    /**
     * The first library {@code loader} accepts, searching the places in order. Throws {@link GemmSelection.Missing}
     * when no place has the file, and IllegalStateException when the explicit setting is wrong or every file found
     * failed to load (both then name what was tried).
     */
    <T> Located<T> locate(Loader<T> loader) {
        String explicit = explicitSetting();
        if (explicit != null) {
            Path p = Path.of(explicit);
            Path lib = Files.isDirectory(p) ? p.resolve(library.file()) : p;
            String source = (property != null && !property.isBlank() ? "-D" + library.property() : library.env()) + "=" + explicit;
            if (!Files.isRegularFile(lib)) throw new IllegalStateException(source + ": no " + lib.getFileName() + " there");
            Found f = new Found(lib, sibling(lib.getParent()), source);
            return new Located<>(loader.load(f), f);
        }
        List<String> searched = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Located<T> hit = search(systemPlaces(), loader, searched, failures);
        if (hit == null) hit = search(pythonPlaces(), loader, searched, failures);
        if (hit != null) return hit;
        if (!failures.isEmpty()) {
            throw new IllegalStateException(library.file() + " found but not loadable: " + String.join("; ", failures));
        }
        throw new GemmSelection.Missing(library.file() + " not found in " + searched);
    }

    private <T> Located<T> search(List<Place> places, Loader<T> loader, List<String> searched, List<String> failures) {
        for (Place pl : places) {
            searched.add(pl.dir().toString());
            Path lib = pl.dir().resolve(library.file());
            if (!Files.isRegularFile(lib)) continue;
            Found f = new Found(lib, sibling(pl.dir()), pl.source());
            try {
                return new Located<>(loader.load(f), f);
            } catch (RuntimeException | LinkageError e) {
                failures.add(lib + ": " + CudaProbe.oneLine(e));
            }
        }
        return null;
    }

    private String explicitSetting() {
        if (property != null && !property.isBlank()) return property.trim();
        String e = env.get(library.env());
        return e != null && !e.isBlank() ? e.trim() : null;
    }

    private Path sibling(Path dir) {
        Path c = dir == null || library.companion() == null ? null : dir.resolve(library.companion());
        return c != null && Files.isRegularFile(c) ? c : null;
    }

    /** Rules 2–4, in order, without duplicates. */
    private List<Place> systemPlaces() {
        List<Place> places = new ArrayList<>();
        String ld = env.get("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) if (!d.isBlank()) add(places, Path.of(d), "LD_LIBRARY_PATH");
        }
        String cudaHome = env.get("CUDA_HOME");
        if (cudaHome != null && !cudaHome.isBlank()) {
            add(places, Path.of(cudaHome, "lib64"), "CUDA_HOME");
            add(places, Path.of(cudaHome, "targets/x86_64-linux/lib"), "CUDA_HOME");
        }
        for (Path cuda : cudaFolders()) {
            add(places, cuda.resolve("lib64"), "standard CUDA folder");
            add(places, cuda.resolve("targets/x86_64-linux/lib"), "standard CUDA folder");
        }
        add(places, root.resolve("usr/lib/x86_64-linux-gnu"), "system library folder");
        return places;
    }

    /** /usr/local/cuda, then /usr/local/cuda-13.1, /usr/local/cuda-13.0, … (one directory listing). */
    private List<Path> cudaFolders() {
        Path local = root.resolve("usr/local");
        if (!Files.isDirectory(local)) return List.of();
        try (Stream<Path> s = Files.list(local)) {
            return s.filter(p -> p.getFileName().toString().startsWith("cuda") && Files.isDirectory(p))
                    .sorted(Comparator.comparing((Path p) -> !p.getFileName().toString().equals("cuda"))
                            .thenComparing(p -> p.getFileName().toString(), CudaLibraryLocator::newerFirst))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** "cuda-13.10" before "cuda-13.2": compares the dotted numbers after the dash, highest first. */
    static int newerFirst(String a, String b) {
        String[] x = a.replaceFirst("^cuda-?", "").split("\\."), y = b.replaceFirst("^cuda-?", "").split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int xi = i < x.length ? number(x[i]) : -1, yi = i < y.length ? number(y[i]) : -1;
            if (xi != yi) return Integer.compare(yi, xi);
        }
        return b.compareTo(a);
    }

    private static int number(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Rule 5: every nvidia/<package>/lib folder of each site-packages folder. */
    private List<Place> pythonPlaces() {
        List<Place> places = new ArrayList<>();
        for (Path site : sitePackages.get()) {
            Path nvidia = site.resolve("nvidia");
            if (!Files.isDirectory(nvidia)) continue;
            try (Stream<Path> s = Files.list(nvidia)) {
                for (Path pkg : s.sorted().toList()) add(places, pkg.resolve("lib"), "python3 site-packages");
            } catch (IOException e) {
                // an unreadable folder is one place fewer
            }
        }
        return places;
    }

    private static void add(List<Place> places, Path dir, String source) {
        for (Place p : places) if (p.dir().equals(dir)) return;
        places.add(new Place(dir, source));
    }

    /**
     * python3's site-packages folders (site.getsitepackages() and the user's), or none when python3 is missing,
     * fails, or takes more than 10 seconds.
     */
    static List<Path> askPython() {
        String script = "import site\nfor p in site.getsitepackages() + [site.getusersitepackages()]: print(p)";
        Process proc = null;
        try {
            proc = new ProcessBuilder("python3", "-c", script).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out;
            try (InputStream in = proc.getInputStream()) {
                if (!proc.waitFor(10, TimeUnit.SECONDS)) return List.of();
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (proc.exitValue() != 0) return List.of();
            return out.lines().map(String::trim).filter(l -> !l.isEmpty()).map(Path::of).filter(Files::isDirectory).toList();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } finally {
            if (proc != null) proc.destroyForcibly();
        }
    }
}
