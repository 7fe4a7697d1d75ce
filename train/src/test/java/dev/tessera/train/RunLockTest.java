package dev.tessera.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.testing.Backends;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes on one run directory, and a process killed in the middle of writing a checkpoint — with real
 * second processes (a JVM on the test class path, {@link RunDirectoryChild}) and real {@code kill -9}.
 */
class RunLockTest {
    private static final Backend CPU = Backends.cpu();
    private static final SyntheticImages DATA = SyntheticImages.fashionSized(1);

    @TempDir
    Path tmp;

    private static Trainer trainer(TrainSettings s) {
        return new Trainer(new LinearRegression(CPU, new int[] {1, 28, 28}, 3, -1), DATA, s).log(null, false);
    }

    private static TrainSettings settings() {
        return TrainerTest.base("mae").steps(4).build();
    }

    @Test
    void aSecondProcessOnTheSameRunFailsAtOnceNamingTheHolder() throws Exception {
        Path run = tmp.resolve("run");
        trainer(settings().toBuilder().stopAfter(2).build()).output(run).run();
        List<String> metrics = Files.readAllLines(run.resolve(RunDirectory.METRICS));

        Process holder = RunDirectoryChild.start("lock", run.toString());
        try {
            var e = assertThrows(IllegalStateException.class, () -> trainer(settings()).resumeFrom(run).run());
            assertEquals("run directory " + run.toAbsolutePath() + " is in use by process " + holder.pid()
                    + "; wait for it to finish or choose another --resume", e.getMessage());
            assertEquals(metrics, Files.readAllLines(run.resolve(RunDirectory.METRICS)), "the refused run wrote nothing");

            Path fresh = Files.createDirectories(tmp.resolve("fresh"));
            Process second = RunDirectoryChild.start("lock", fresh.toString());
            try {
                e = assertThrows(IllegalStateException.class, () -> trainer(settings()).output(fresh).run());
                assertTrue(e.getMessage().startsWith("run directory " + fresh.toAbsolutePath() + " is in use by process " + second.pid()),
                        e.getMessage());
                assertFalse(Files.exists(fresh.resolve(RunDirectory.CONFIG)), "no config.json from the refused run");
            } finally {
                RunDirectoryChild.kill(second);
            }
        } finally {
            RunDirectoryChild.kill(holder);
        }
        // kill -9 released the lock with the process: the run continues and finishes
        TrainResult r = trainer(settings()).resumeFrom(run).run();
        assertEquals(4, r.steps());
        assertEquals(List.of(1, 2, 3, 4), RunDirectory.existing(run).readMetrics().stream().map(StepMetrics::step).toList());
    }

    @Test
    void twoRunsInOneProcessCannotShareADirectoryEither() {
        Path run = tmp.resolve("same");
        TrainSettings s = settings();
        Trainer inner = trainer(s).output(run);
        List<String> refusals = new java.util.ArrayList<>();
        // the listener starts a second run on the same folder while the first holds it
        inner.listen(new RunListener() {
            @Override
            public void onCheckpoint(RunEvent event) {
                try {
                    trainer(s).output(run).run();
                    refusals.add("not refused");
                } catch (IllegalStateException e) {
                    refusals.add(e.getMessage());
                }
            }
        });
        inner.run();
        assertEquals(List.of("run directory " + run.toAbsolutePath() + " is in use by process " + ProcessHandle.current().pid()
                + "; wait for it to finish or choose another --out"), refusals);
        // released at the end: the folder now holds a finished run, which is what a third run is told
        var e = assertThrows(IllegalArgumentException.class, () -> trainer(s).output(run).run());
        assertTrue(e.getMessage().contains("already holds a run"), e.getMessage());
    }

    @Test
    void aKillMidWriteLeavesATempFileThatTheNextStartRemoves() throws Exception {
        Path run = tmp.resolve("killed");
        trainer(settings().toBuilder().stopAfter(2).build()).output(run).run();
        byte[] checkpoint = Files.readAllBytes(run.resolve(RunDirectory.CHECKPOINT));

        Process writer = RunDirectoryChild.start("write", run.resolve(RunDirectory.CHECKPOINT).toString());
        RunDirectoryChild.kill(writer);
        List<Path> left = temps(run);
        assertEquals(List.of(run.resolve("." + RunDirectory.CHECKPOINT + "." + writer.pid() + "-1.tmp")), left,
                "the killed write left its temporary file, named after its process, not like a checkpoint");
        assertEquals(1 << 16, Files.size(left.getFirst()));
        assertTrue(java.util.Arrays.equals(checkpoint, Files.readAllBytes(run.resolve(RunDirectory.CHECKPOINT))),
                "the checkpoint itself is untouched");

        trainer(settings()).resumeFrom(run).run();
        assertEquals(List.of(), temps(run), "the next start removed it");
    }

    @Test
    void aNewRunInAFolderWithLeftoversRemovesThemToo() throws IOException {
        Path run = Files.createDirectories(tmp.resolve("leftovers"));
        Path stale = Files.write(run.resolve(".checkpoint.safetensors.4242-7.tmp"), new byte[10]);
        Path older = Files.write(run.resolve(".checkpoint.safetensors.8123456789012345.tmp"), new byte[10]);   // the old naming
        Path mine = Files.writeString(run.resolve("notes.tmp"), "a user's file");
        trainer(settings()).output(run).run();
        assertFalse(Files.exists(stale));
        assertFalse(Files.exists(older));
        assertTrue(Files.exists(mine), "only the atomic writer's temporary files are touched");
    }

    private static List<Path> temps(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).sorted().toList();
        }
    }
}
