package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The search order for libcublas.so.13, on fake folder trees (empty files named like the libraries) under a
 * temporary root, with a loader that records what it was offered instead of loading anything.
 */
class CublasLocatorTest {
    @TempDir
    Path root;

    final Map<String, String> env = new HashMap<>();
    final List<Path> site = new ArrayList<>();
    final AtomicInteger pythonAsked = new AtomicInteger();

    Path lib(String dir) throws IOException {
        Path d = root.resolve(dir);
        Files.createDirectories(d);
        return Files.createFile(d.resolve(CublasLocator.CUBLAS));
    }

    CublasLocator locator(String property) {
        return new CublasLocator(env, property, root, () -> {
            pythonAsked.incrementAndGet();
            return site;
        });
    }

    /** Accepts every file; returns the folder it came from. */
    static Path accept(CublasLocator.Found f) {
        return f.cublas().getParent();
    }

    @Test
    void theOrderIsExplicitThenLdLibraryPathThenCudaHomeThenStandardFoldersThenPython() throws IOException {
        lib("site/nvidia/cu13/lib");
        site.add(root.resolve("site"));
        lib("usr/lib/x86_64-linux-gnu");
        lib("usr/local/cuda-13.0/lib64");
        lib("usr/local/cuda-13.1/targets/x86_64-linux/lib");
        lib("usr/local/cuda/lib64");
        lib("opt/cuda-home/targets/x86_64-linux/lib");
        lib("ld/two");
        Path explicit = lib("mine");
        env.put("LD_LIBRARY_PATH", root.resolve("ld/one") + ":" + root.resolve("ld/two"));
        env.put("CUDA_HOME", root.resolve("opt/cuda-home").toString());
        env.put(CublasLocator.ENV, explicit.toString());

        List<String> order = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            CublasLocator.Located<Path> hit = locator(null).locate(CublasLocatorTest::accept);
            order.add(root.relativize(hit.library()) + " (" + hit.found().source().replaceAll("=.*", "") + ")");
            // remove what was found, so the next search shows the next place in the order
            Files.delete(hit.found().cublas());
            if (i == 0) env.remove(CublasLocator.ENV);
        }
        assertEquals(List.of("mine (TESSERA_CUBLAS)", "ld/two (LD_LIBRARY_PATH)",
                "opt/cuda-home/targets/x86_64-linux/lib (CUDA_HOME)", "usr/local/cuda/lib64 (standard CUDA folder)",
                "usr/local/cuda-13.1/targets/x86_64-linux/lib (standard CUDA folder)",
                "usr/local/cuda-13.0/lib64 (standard CUDA folder)", "usr/lib/x86_64-linux-gnu (system library folder)",
                "site/nvidia/cu13/lib (python3 site-packages)"), order);
    }

    @Test
    void pythonIsAskedOnlyWhenNothingEarlierHasTheLibrary() throws IOException {
        lib("usr/local/cuda/lib64");
        locator(null).locate(CublasLocatorTest::accept);
        assertEquals(0, pythonAsked.get());
        Files.delete(root.resolve("usr/local/cuda/lib64").resolve(CublasLocator.CUBLAS));
        lib("site/nvidia/cublas/lib");
        site.add(root.resolve("site"));
        assertEquals(root.resolve("site/nvidia/cublas/lib"), locator(null).locate(CublasLocatorTest::accept).library());
        assertEquals(1, pythonAsked.get());
    }

    @Test
    void theSystemPropertyWinsOverTheEnvironmentAndAFolderIsAccepted() throws IOException {
        lib("from-env");
        lib("from-property");
        env.put(CublasLocator.ENV, root.resolve("from-env").toString());
        CublasLocator.Located<Path> hit = locator(root.resolve("from-property").toString()).locate(CublasLocatorTest::accept);
        assertEquals(root.resolve("from-property"), hit.library());
        assertTrue(hit.found().source().startsWith("-Dtessera.cublas="), hit.found().source());
    }

    @Test
    void aWrongExplicitSettingIsAnErrorAndNothingElseIsTried() throws IOException {
        lib("usr/local/cuda/lib64");
        env.put(CublasLocator.ENV, root.resolve("nowhere").toString());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> locator(null).locate(CublasLocatorTest::accept));
        assertTrue(e.getMessage().startsWith("TESSERA_CUBLAS=" + root.resolve("nowhere")), e.getMessage());
    }

    @Test
    void aLibraryThatFailsToLoadIsSkippedAndNamedIfNothingElseLoads() throws IOException {
        lib("usr/local/cuda/lib64");
        lib("usr/local/cuda-13.0/lib64");
        CublasLocator.Loader<Path> firstFails = f -> {
            if (f.cublas().startsWith(root.resolve("usr/local/cuda/"))) throw new IllegalStateException("wrong ELF class");
            return accept(f);
        };
        assertEquals(root.resolve("usr/local/cuda-13.0/lib64"), locator(null).locate(firstFails).library());
        CublasLocator.Loader<Path> allFail = f -> {
            throw new IllegalStateException("undefined symbol");
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> locator(null).locate(allFail));
        assertTrue(e.getMessage().contains("found but not loadable") && e.getMessage().contains("undefined symbol"), e.getMessage());
    }

    @Test
    void nothingFoundNamesEveryFolderSearched() {
        env.put("LD_LIBRARY_PATH", "/opt/a:/opt/b");
        site.add(root.resolve("nosite"));
        GemmSelection.Missing m = assertThrows(GemmSelection.Missing.class, () -> locator(null).locate(CublasLocatorTest::accept));
        assertTrue(m.getMessage().startsWith("libcublas.so.13 not found in [/opt/a, /opt/b, "), m.getMessage());
        assertTrue(m.getMessage().contains(root.resolve("usr/lib/x86_64-linux-gnu").toString()), m.getMessage());
    }

    @Test
    void cublasLtIsTakenFromTheSameFolder() throws IOException {
        lib("usr/local/cuda/lib64");
        assertNull(locator(null).find().cublasLt());
        Path lt = Files.createFile(root.resolve("usr/local/cuda/lib64").resolve(CublasLocator.CUBLAS_LT));
        assertEquals(lt, locator(null).find().cublasLt());
    }

    @Test
    void versionedCudaFoldersNewestFirst() {
        List<String> names = new ArrayList<>(List.of("cuda-12.6", "cuda-13.0", "cuda-13.10", "cuda-13.2"));
        names.sort(CublasLocator::newerFirst);
        assertEquals(List.of("cuda-13.10", "cuda-13.2", "cuda-13.0", "cuda-12.6"), names);
    }
}
