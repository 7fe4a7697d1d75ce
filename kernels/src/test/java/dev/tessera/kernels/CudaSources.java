package dev.tessera.kernels;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the .cu sources are, for the tests that parse them (OpCodesTest, KernelAbiTest): the
 * {@code tessera.cuda.sources} property (set by the dist's bin/test-gpu), else the module folder Surefire runs
 * in, else the repository root Surefire passes as {@code tessera.repo.root}. Skips the test when none exists.
 */
final class CudaSources {
    private CudaSources() {}

    static Path dir() {
        String explicit = System.getProperty("tessera.cuda.sources");
        String root = System.getProperty("tessera.repo.root");
        for (Path p : new Path[] {explicit == null ? null : Path.of(explicit), Path.of("src/main/cuda"),
                root == null ? null : Path.of(root, "kernels/src/main/cuda")}) {
            if (p != null && Files.isRegularFile(p.resolve("common.cuh"))) return p;
        }
        Assumptions.abort("CUDA sources not found (set -Dtessera.cuda.sources=DIR)");
        throw new AssertionError();
    }
}
