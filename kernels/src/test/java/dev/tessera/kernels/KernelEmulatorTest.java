package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Runs kernels/emulate-kernels.sh (the CI set): every CUDA kernel compiled with g++ against the fiber emulator
 * and checked against double-precision loops, including the tensor-core instructions and the mma kernels
 * (see src/test/emu). Needs g++ with C++20; without it (or without the sources) the test is skipped with the
 * reason. The full set (ViT-B-sized GEMMs, more attention shapes) is {@code kernels/emulate-kernels.sh --full},
 * run by hand.
 */
class KernelEmulatorTest {

    @Test
    void everyKernelMatchesItsDoubleReferenceInTheEmulator() throws IOException, InterruptedException {
        Path script = CudaSources.dir().resolve("../../../emulate-kernels.sh").normalize();
        Assumptions.assumeTrue(Files.isRegularFile(script), () -> "emulator skipped: " + script + " not found");
        Assumptions.assumeTrue(onPath("g++"), "emulator skipped: g++ not found");
        Path log = Files.createTempFile("tessera-emulator", ".log");
        Process p = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(15, TimeUnit.MINUTES);
        if (!done) p.destroyForcibly();
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        String summary = lines.isEmpty() ? "(no output)" : lines.getLast();
        System.out.println("[emulator] " + summary);
        String failures = String.join("\n", lines.stream().filter(l -> !l.startsWith("ok ")).toList());
        assertTrue(done, "emulator did not finish in 15 minutes");
        assertEquals(0, p.exitValue(), "emulate-kernels.sh failed:\n" + failures);
        assertTrue(summary.matches("\\d+ checks, 0 failed"), summary);
        Files.deleteIfExists(log);
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }
}
