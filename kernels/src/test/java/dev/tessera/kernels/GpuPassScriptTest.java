package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kernels/gpu-pass.sh, the one-command GPU runbook, checked where there is no GPU so it cannot rot before one is lent:
 * without a GPU every phase is skipped with the reason and the script exits 0 at once; with a fake nvidia-smi and a
 * fake dist (scripts that print what the JUnit console and {@code tessera info} print) the probe, the per-class kernel
 * test pass, the JUnit phases and their summary lines run for real, a failing class is named with its kernel, and the
 * other phases still run. It needs no build output (nothing here was built for the GPU).
 */
class GpuPassScriptTest {
    static final List<String> PHASES = List.of("probe", "info", "kernels", "golden", "memory", "bench", "timings",
            "sanitizer", "nccl");

    @TempDir
    Path tmp;

    static Path script() {
        String root = System.getProperty("tessera.repo.root");
        for (Path p : new Path[] {Path.of("gpu-pass.sh"), root == null ? null : Path.of(root, "kernels/gpu-pass.sh")}) {
            if (p != null && Files.isRegularFile(p)) return p.toAbsolutePath();
        }
        throw new AssertionError("kernels/gpu-pass.sh not found (cwd " + Path.of("").toAbsolutePath() + ")");
    }

    record Run(int exit, String output, Path out) {
        String summary() throws IOException {
            return Files.readString(out.resolve("summary.txt"));
        }
    }

    Run run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempDirectory(tmp, "out");
        ProcessBuilder pb = new ProcessBuilder(Stream.concat(Stream.of("bash", script().toString()), Stream.of(args)).toList())
                .redirectErrorStream(true);
        pb.environment().put("OUT", out.toString());
        pb.environment().put("DIST", tmp.resolve("no-dist").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "gpu-pass.sh took more than two minutes");
        return new Run(p.exitValue(), output, out);
    }

    @Test
    void withoutAGpuEveryPhaseIsSkippedWithTheReasonAndTheScriptExitsZero() throws Exception {
        long t0 = System.nanoTime();
        Run r = run(Map.of("TESSERA_GPU_PASS_NO_GPU", "CI"), "all");
        assertEquals(0, r.exit(), r.output());
        assertTrue(System.nanoTime() - t0 < 120e9, "within two minutes");
        String s = r.summary();
        for (String phase : PHASES) assertTrue(s.contains(String.format("%-10s skipped: no GPU (CI)", phase)), s);
        checkOutputLimits(r.out());
    }

    @Test
    void eachPhaseRunsAloneAndAnUnknownOneIsRefused() throws Exception {
        for (String phase : PHASES) {
            Run r = run(Map.of("TESSERA_GPU_PASS_NO_GPU", "CI"), phase);
            assertEquals(0, r.exit(), phase + ": " + r.output());
            assertTrue(r.summary().contains(String.format("%-10s skipped", phase)), r.summary());
        }
        Run bad = run(Map.of(), "everything");
        assertEquals(2, bad.exit());
        assertTrue(bad.output().contains("usage: kernels/gpu-pass.sh all|probe|info|kernels"), bad.output());
    }

    @Test
    void phasesThatNeedTheDistSayItIsMissing() throws Exception {
        Run r = run(Map.of("PATH", fakeGpuPath()), "info");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.summary().contains("info       skipped: " + tmp.resolve("no-dist") + "/bin/tessera missing"), r.summary());
    }

    @Test
    void onAFakeGpuTheProbeKernelAndJunitPhasesReportPassesAndNameTheFailingKernel() throws Exception {
        Path dist = fakeDist();
        Map<String, String> env = Map.of("PATH", fakeGpuPath(), "DIST", dist.toString());
        String summary = "";
        for (String phase : List.of("probe", "info", "kernels", "golden", "nccl")) {
            Run r = run(env, phase);
            assertEquals(0, r.exit(), phase + ": " + r.output());
            summary += r.summary();
            if (phase.equals("kernels")) {
                assertTrue(Files.isRegularFile(r.out().resolve("kernels.log.gz")));
                checkOutputLimits(r.out());
            }
        }
        assertTrue(summary.contains("probe      passed") && summary.contains("Fake H100, 81559 MiB, 580.65, 9.0"), summary);
        assertTrue(summary.contains("info       passed") && summary.contains("GEMM: cuBLAS 13.0.2 via FFM"), summary);
        assertTrue(summary.matches("(?s).*kernels    failed .*sync pass: 3 tests passed, 1 failed, 0 skipped; failing: BrokenParityTest \\(1 failed: "
                + "✘ forwardMatches\\(\\) KernelLaunchException: attention_forward_v2 .*CUDA_ERROR_ILLEGAL_ADDRESS.*async pass: 7 passed, 1 failed, 0 skipped.*"),
                summary);
        assertTrue(summary.contains("golden     passed") && summary.contains("3 tests passed"), summary);
        assertTrue(summary.contains("nccl       skipped") && summary.contains("no NCCL smoke test"), summary);
    }

    /** At most 8 files, at most two folders deep, none over 16 MiB: what a device call brings back. */
    static void checkOutputLimits(Path out) throws IOException {
        try (Stream<Path> s = Files.walk(out)) {
            List<Path> files = s.filter(Files::isRegularFile).toList();
            assertTrue(files.size() <= 8, "files: " + files);
            for (Path f : files) {
                assertTrue(out.relativize(f).getNameCount() <= 3, "too deep: " + f);
                assertTrue(Files.size(f) <= 16L << 20, "too big: " + f);
            }
        }
    }

    /** A PATH whose nvidia-smi reports one H100. */
    String fakeGpuPath() throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        executable(bin.resolve("nvidia-smi"), """
                #!/bin/sh
                case "$*" in
                  *-L*) echo "GPU 0: Fake H100 (UUID: GPU-0)" ;;
                  *) echo "name, memory.total [MiB], driver_version, compute_cap"; echo "Fake H100, 81559 MiB, 580.65, 9.0" ;;
                esac
                """);
        return bin + ":" + System.getenv("PATH");
    }

    /** A dist whose tessera prints `info` and whose test-gpu prints the JUnit console's summary; one class fails. */
    Path fakeDist() throws IOException {
        Path dist = tmp.resolve("dist");
        Files.createDirectories(dist.resolve("lib"));
        Files.writeString(dist.resolve("lib/jvm.flags"), "-Dunused=1\n");
        executable(Files.createDirectories(dist.resolve("bin")).resolve("tessera"), """
                #!/bin/sh
                [ "$1" = info ] || exit 3
                echo "backends:"; echo "  cpu   usable"
                echo "  cuda  usable: cuda:0 Fake H100; GEMM: cuBLAS 13.0.2 via FFM (/x/libcublas.so.13 (LD_LIBRARY_PATH))"
                """);
        executable(dist.resolve("bin/test-gpu"), """
                #!/bin/sh
                case "$*" in
                  *BrokenParityTest*GoodParityTest*|*GoodParityTest*BrokenParityTest*)
                    echo "[         7 tests successful      ]"; echo "[         1 tests failed          ]"; exit 1 ;;
                  *BrokenParityTest*)
                    echo "│  ✘ forwardMatches()"
                    echo "│        KernelLaunchException: attention_forward_v2 grid (1,1,1) failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)"
                    echo "[         0 tests successful      ]"; echo "[         1 tests failed          ]"; exit 1 ;;
                  *) echo "[         3 tests successful      ]"; echo "[         0 tests failed          ]" ;;
                esac
                """);
        Path classes = Files.createDirectories(dist.resolve("tests/kernels-test-classes/dev/tessera/kernels"));
        for (String c : List.of("BrokenParityTest", "GoodParityTest", "CudaMemoryTest", "KernelAbiTest")) {
            Files.createFile(classes.resolve(c + ".class"));
        }
        return dist;
    }

    static void executable(Path p, String text) throws IOException {
        Files.writeString(p, text);
        assertTrue(p.toFile().setExecutable(true));
    }
}
