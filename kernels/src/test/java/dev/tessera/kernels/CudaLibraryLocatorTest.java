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
 * The search order for libcublas.so.13 and libnccl.so.2, on fake folder trees (empty files named like the libraries) under a
 * temporary root, with a loader that records what it was offered instead of loading anything.
 */
class CudaLibraryLocatorTest {
    @TempDir
    Path root;

    final Map<String, String> env = new HashMap<>();
    final List<Path> site = new ArrayList<>();
    final AtomicInteger pythonAsked = new AtomicInteger();

    Path lib(String dir) throws IOException {
        Path d = root.resolve(dir);
        Files.createDirectories(d);
        return Files.createFile(d.resolve(CudaLibraryLocator.CUBLAS));
    }

    CudaLibraryLocator locator(String property) {
        return new CudaLibraryLocator(CudaLibraryLocator.CUBLAS_LIBRARY, env, property, root, () -> {
            pythonAsked.incrementAndGet();
            return site;
        });
    }

    /** Accepts every file; returns the folder it came from. */
    static Path accept(CudaLibraryLocator.Found f) {
        return f.library().getParent();
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
        env.put(CudaLibraryLocator.ENV, explicit.toString());

        List<String> order = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            CudaLibraryLocator.Located<Path> hit = locator(null).locate(CudaLibraryLocatorTest::accept);
            order.add(root.relativize(hit.library()) + " (" + hit.found().source().replaceAll("=.*", "") + ")");
            // remove what was found, so the next search shows the next place in the order
            Files.delete(hit.found().library());
            if (i == 0) env.remove(CudaLibraryLocator.ENV);
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
        locator(null).locate(CudaLibraryLocatorTest::accept);
        assertEquals(0, pythonAsked.get());
        Files.delete(root.resolve("usr/local/cuda/lib64").resolve(CudaLibraryLocator.CUBLAS));
        lib("site/nvidia/cublas/lib");
        site.add(root.resolve("site"));
        assertEquals(root.resolve("site/nvidia/cublas/lib"), locator(null).locate(CudaLibraryLocatorTest::accept).library());
        assertEquals(1, pythonAsked.get());
    }

    @Test
    void theSystemPropertyWinsOverTheEnvironmentAndAFolderIsAccepted() throws IOException {
        lib("from-env");
        lib("from-property");
        env.put(CudaLibraryLocator.ENV, root.resolve("from-env").toString());
        CudaLibraryLocator.Located<Path> hit = locator(root.resolve("from-property").toString()).locate(CudaLibraryLocatorTest::accept);
        assertEquals(root.resolve("from-property"), hit.library());
        assertTrue(hit.found().source().startsWith("-Dtessera.cublas="), hit.found().source());
    }

    @Test
    void aWrongExplicitSettingIsAnErrorAndNothingElseIsTried() throws IOException {
        lib("usr/local/cuda/lib64");
        env.put(CudaLibraryLocator.ENV, root.resolve("nowhere").toString());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> locator(null).locate(CudaLibraryLocatorTest::accept));
        assertTrue(e.getMessage().startsWith("TESSERA_CUBLAS=" + root.resolve("nowhere")), e.getMessage());
    }

    @Test
    void aLibraryThatFailsToLoadIsSkippedAndNamedIfNothingElseLoads() throws IOException {
        lib("usr/local/cuda/lib64");
        lib("usr/local/cuda-13.0/lib64");
        CudaLibraryLocator.Loader<Path> firstFails = f -> {
            if (f.library().startsWith(root.resolve("usr/local/cuda/"))) throw new IllegalStateException("wrong ELF class");
            return accept(f);
        };
        assertEquals(root.resolve("usr/local/cuda-13.0/lib64"), locator(null).locate(firstFails).library());
        CudaLibraryLocator.Loader<Path> allFail = f -> {
            throw new IllegalStateException("undefined symbol");
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> locator(null).locate(allFail));
        assertTrue(e.getMessage().contains("found but not loadable") && e.getMessage().contains("undefined symbol"), e.getMessage());
    }

    @Test
    void nothingFoundNamesEveryFolderSearched() {
        env.put("LD_LIBRARY_PATH", "/opt/a:/opt/b");
        site.add(root.resolve("nosite"));
        GemmSelection.Missing m = assertThrows(GemmSelection.Missing.class, () -> locator(null).locate(CudaLibraryLocatorTest::accept));
        assertTrue(m.getMessage().startsWith("libcublas.so.13 not found in [/opt/a, /opt/b, "), m.getMessage());
        assertTrue(m.getMessage().contains(root.resolve("usr/lib/x86_64-linux-gnu").toString()), m.getMessage());
    }

    @Test
    void cublasLtIsTakenFromTheSameFolder() throws IOException {
        lib("usr/local/cuda/lib64");
        assertNull(locator(null).find().companion());
        Path lt = Files.createFile(root.resolve("usr/local/cuda/lib64").resolve(CudaLibraryLocator.CUBLAS_LT));
        assertEquals(lt, locator(null).find().companion());
    }

    @Test
    void versionedCudaFoldersNewestFirst() {
        List<String> names = new ArrayList<>(List.of("cuda-12.6", "cuda-13.0", "cuda-13.10", "cuda-13.2"));
        names.sort(CudaLibraryLocator::newerFirst);
        assertEquals(List.of("cuda-13.10", "cuda-13.2", "cuda-13.0", "cuda-12.6"), names);
    }

    @Test
    void ncclIsFoundInPythonsNvidiaWheelsWithoutACompanion() throws IOException {
        Path d = root.resolve("site/nvidia/nccl/lib");
        Files.createDirectories(d);
        Path nccl = Files.createFile(d.resolve("libnccl.so.2"));
        lib("usr/local/cuda/lib64");                           // cuBLAS there is no NCCL
        site.add(root.resolve("site"));
        CudaLibraryLocator.Found f = ncclLocator(null).find();
        assertEquals(nccl, f.library());
        assertNull(f.companion());
        assertEquals("python3 site-packages", f.source());
    }

    @Test
    void ncclHasItsOwnExplicitSetting() throws IOException {
        Path d = Files.createDirectories(root.resolve("mine"));
        Path nccl = Files.createFile(d.resolve("libnccl.so.2"));
        env.put(CudaLibraryLocator.ENV, root.resolve("elsewhere").toString());   // cuBLAS's setting is not NCCL's
        env.put("TESSERA_NCCL", d.toString());
        assertEquals(nccl, ncclLocator(null).find().library());
        assertTrue(ncclLocator(null).find().source().startsWith("TESSERA_NCCL="));
        env.put("TESSERA_NCCL", Files.createDirectories(root.resolve("empty")).toString());   // a folder without the library
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ncclLocator(null).find());
        assertTrue(e.getMessage().startsWith("TESSERA_NCCL=") && e.getMessage().endsWith(": no libnccl.so.2 there"), e.getMessage());
        assertTrue(ncclLocator(d.toString()).find().source().startsWith("-Dtessera.nccl="));
    }

    @Test
    void missingNcclIsNamedAsSuch() {
        GemmSelection.Missing m = assertThrows(GemmSelection.Missing.class, () -> ncclLocator(null).find());
        assertTrue(m.getMessage().startsWith("libnccl.so.2 not found in "), m.getMessage());
    }

    CudaLibraryLocator ncclLocator(String property) {
        return new CudaLibraryLocator(CudaLibraryLocator.NCCL_LIBRARY, env, property, root, () -> site);
    }
}
