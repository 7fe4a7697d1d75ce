package dev.tessera.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.train.testing.ChildJvm;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training over real Open MPI processes ({@code mpirun -np 2}, each rank a JVM running
 * {@link DataParallelCheck}): two ranks at batch 32 train the same model as one process at batch 64 on the same
 * images, a run resumes exactly, and a rank that stops makes the job fail with one line within the collective
 * timeout. Skipped, with the reason printed, where mpirun is not installed (.ci/run installs Open MPI).
 *
 * <p>Tolerance of the 2 × 32 vs 1 × 64 comparison: the two runs see the same images with the same masks and the
 * same lr; only the summation order differs (each rank sums its 32 images, then MPI adds the two halves), about
 * 1e-7 relative per gradient element. AdamW divides by √v, so for an element whose gradient is small such a rounding
 * difference becomes a larger update difference. The bound: after 10 steps at peak lr 1e-3, (a) the L2 norm of the
 * parameter difference is under 1% of the L2 norm of what training changed, and (b) no parameter differs by more
 * than 2e-4 (a fifth of one step's lr; observed for mae-tiny: 6e-5 at most, 1.3% of the largest single change). A
 * wrong shard, different masks or a missing average make the runs differ by the order of the change itself, and
 * the per-step loss comparison (1e-4) catches a wrong loss average.
 */
class DataParallelTest {
    static final double TOLERANCE = 2e-4;
    static String mpirun;

    @TempDir
    Path tmp;

    @BeforeAll
    static void findMpirun() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path p = Path.of(d, "mpirun");
            if (Files.isExecutable(p)) {
                mpirun = p.toString();
                return;
            }
        }
        System.out.println("DataParallelTest skipped: mpirun not found on PATH (install Open MPI: apt-get install openmpi-bin)");
    }

    private static void needMpi() {
        Assumptions.assumeTrue(mpirun != null, "mpirun not found on PATH (install Open MPI: apt-get install openmpi-bin)");
    }

    /** mpirun -np {@code ranks} of DataParallelCheck; the process, with stdout and stderr merged. */
    private static Process launch(int ranks, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(mpirun, "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np",
                String.valueOf(ranks), Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g", "-cp",
                ChildJvm.classPath(), DataParallelCheck.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        return pb.start();
    }

    private static String run(int ranks, String... args) throws Exception {
        Process p = launch(ranks, Map.of(), args);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    private static Map<String, Tensor> trained(String method, Path runDir, CpuBackend cpu) {
        Objective o = DataParallelCheck.objective(method, cpu);
        Checkpoint.read(runDir.resolve(RunDirectory.CHECKPOINT)).loadInto(o.model(), o.spec().describe());
        return o.model().stateDict();
    }

    @Test
    void twoRanksAtBatch32TrainAsOneProcessAtBatch64() throws Exception {
        needMpi();
        try (CpuBackend cpu = new CpuBackend(2)) {
            for (String method : List.of("mae", "cae")) {
                Path two = tmp.resolve(method + "-2x32"), one = tmp.resolve(method + "-1x64");
                String out = run(2, method, two.toString(), "32", "10", "0", "new");
                assertTrue(out.contains("rank 0 of 2: 10 steps"), out);
                new Trainer(DataParallelCheck.objective(method, cpu), DataParallelCheck.data(),
                        DataParallelCheck.settings(method, 64, 10).build()).log(null, false).output(one).run();

                Checkpoint a = Checkpoint.read(two.resolve(RunDirectory.CHECKPOINT)), b = Checkpoint.read(one.resolve(RunDirectory.CHECKPOINT));
                assertEquals(b.run().plan().peakLr(), a.run().plan().peakLr(), 0, "the lr rule sees 32 × 2 = 64 images");
                assertEquals(2, a.run().plan().worldSize());
                for (int i = 0; i < 10; i++) assertEquals(b.losses()[i], a.losses()[i], 1e-4, method + " loss of step " + (i + 1));
                Map<String, Tensor> pa = trained(method, two, cpu), pb = trained(method, one, cpu);
                Map<String, Tensor> init = DataParallelCheck.objective(method, cpu).model().stateDict();
                double worst = 0, moved = 0, diff2 = 0, moved2 = 0;
                for (String n : pa.keySet()) {
                    float[] x = pa.get(n).toArray(), y = pb.get(n).toArray(), z = init.get(n).toArray();
                    for (int i = 0; i < x.length; i++) {
                        worst = Math.max(worst, Math.abs(x[i] - y[i]));
                        moved = Math.max(moved, Math.abs(y[i] - z[i]));
                        diff2 += (double) (x[i] - y[i]) * (x[i] - y[i]);
                        moved2 += (double) (y[i] - z[i]) * (y[i] - z[i]);
                    }
                }
                double relative = Math.sqrt(diff2 / moved2);
                System.out.printf("%s: 2 × 32 vs 1 × 64 after 10 steps: max |Δparam| %.3g (training changed parameters by up to %.3g),"
                        + " ‖Δ‖ / ‖change‖ = %.3g%n", method, worst, moved, relative);
                assertTrue(worst <= TOLERANCE, method + ": parameters differ by " + worst);
                assertTrue(relative < 0.01, method + ": the parameter difference is " + relative + " of training's change");
            }
        }
    }

    @Test
    void aDistributedRunWritesOneCheckpointAndResumesExactly() throws Exception {
        needMpi();
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        run(2, "mae", whole.toString(), "32", "4", "0", "new");
        run(2, "mae", parts.toString(), "32", "4", "2", "new");
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of("parts", "whole"), files.map(p -> p.getFileName().toString()).sorted().toList(), "rank 1 wrote nothing");
        }
        assertEquals(2, Checkpoint.read(parts.resolve(RunDirectory.CHECKPOINT)).step());
        String out = run(2, "mae", parts.toString(), "32", "4", "0", "resume");
        assertTrue(out.contains("rank 0 of 2: 4 steps"), out);
        try (CpuBackend cpu = new CpuBackend(1)) {
            Map<String, Tensor> a = trained("mae", whole, cpu), b = trained("mae", parts, cpu);
            for (String n : a.keySet()) assertArrayEquals(a.get(n).toArray(), b.get(n).toArray(), n);
            // another world size is refused with the reason
            var e = assertThrows(IllegalArgumentException.class, () -> new Trainer(DataParallelCheck.objective("mae", cpu),
                    DataParallelCheck.data(), DataParallelCheck.settings("mae", 32, 4).build()).log(null, false).resumeFrom(parts).run());
            assertTrue(e.getMessage().contains("the run was trained on 2 processes, this one has 1; resume with the same world size"),
                    e.getMessage());
        }
    }

    @Test
    void aStoppedRankFailsTheJobWithOneLineWithinTheTimeout() throws Exception {
        needMpi();
        Process p = launch(2, Map.of("TESSERA_COLLECTIVE_TIMEOUT", "15"), "mae", tmp.resolve("hang").toString(), "32", "1000", "0", "new");
        try {
            Path metrics = tmp.resolve("hang").resolve(RunDirectory.METRICS);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!(Files.exists(metrics) && Files.size(metrics) > 0) && System.nanoTime() < until) Thread.sleep(200);
            assertTrue(Files.exists(metrics), "the job never finished a step");
            List<ProcessHandle> ranks = p.descendants().filter(h -> h.info().command().orElse("").endsWith("java")).toList();
            assertEquals(2, ranks.size(), "two rank JVMs under mpirun");
            // SIGSTOP: the rank neither dies nor answers, the case only a timeout can end
            new ProcessBuilder("kill", "-STOP", String.valueOf(ranks.get(1).pid())).start().waitFor();
            long stopped = System.nanoTime();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the job hangs after a rank stopped");
            double seconds = (System.nanoTime() - stopped) / 1e9;
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertNotEquals(0, p.exitValue(), out);
            assertTrue(out.contains("timed out after 15 s on rank ") && out.contains("another rank died or hangs; aborting the job"), out);
            assertTrue(seconds < 90, "ended " + seconds + " s after the stop");
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }
}
