package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad input ends in ONE line on stderr that names the problem, a non-zero exit (2 for a bad
 * command line, 1 for a failure), and no half-written run directory.
 */
class BadInputTest {
    @TempDir
    static Path tmp;
    static Path images, maeRun;

    @BeforeAll
    static void setUp() throws IOException {
        images = Cli.greyFolder(tmp.resolve("images"), 2, 4, 28);
        maeRun = tmp.resolve("mae-run");
        Cli.Result r = Cli.tessera("pretrain", "mae", "--data", images.toString(), "--steps", "1", "--batch", "4", "--device", "cpu",
                "--threads", "2", "--workers", "0", "--out", maeRun.toString());
        assertEquals(0, r.exit(), r.toString());
    }

    private static void assertOneLine(Cli.Result r, int exit, String expected) {
        assertEquals(exit, r.exit(), r.toString());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertFalse(err.contains("Exception"), "no stack trace or exception name: " + err);
        assertEquals(expected, err);
    }

    private static void assertOneLineContaining(Cli.Result r, int exit, String... parts) {
        assertEquals(exit, r.exit(), r.toString());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        for (String p : parts) assertTrue(err.contains(p), "'" + p + "' in: " + err);
    }

    @Test
    void distributedOutsideAnMpiJobSaysHowToLaunchIt() {
        Path dir = tmp.resolve("not-mpi");
        assertOneLine(Cli.tessera("pretrain", "mae", "--data", images.toString(), "--steps", "1", "--batch", "4", "--device", "cpu",
                "--threads", "1", "--distributed", "--out", dir.toString()), 1,
                "tessera pretrain mae: --distributed: this process was not started by MPI; launch it as 'mpirun -np N ./tessera ..."
                        + " --distributed' (docs/distributed.md)");
        assertFalse(Files.exists(dir));
    }

    @Test
    void nonPositiveNumbersNameTheOption() {
        assertOneLine(Cli.tessera("pretrain", "mae", "--batch", "0"), 2,
                "tessera pretrain mae: --batch must be a positive integer, got 0 (see 'tessera pretrain mae --help')");
        assertOneLine(Cli.tessera("pretrain", "cae", "--accum", "-2"), 2,
                "tessera pretrain cae: --accum must be a positive integer, got -2 (see 'tessera pretrain cae --help')");
        assertOneLine(Cli.tessera("pretrain", "mae", "--lr", "-0.1"), 2,
                "tessera pretrain mae: --lr must be a positive number, got -0.1 (see 'tessera pretrain mae --help')");
        assertOneLine(Cli.tessera("pretrain", "mae", "--epochs", "2", "--steps", "3"), 2,
                "tessera pretrain mae: give --epochs or --steps, not both (see 'tessera pretrain mae --help')");
        assertOneLineContaining(Cli.tessera("pretrain", "mae", "--batch", "many"), 2, "--batch", "'many'");
        assertOneLineContaining(Cli.tessera("pretrain", "mae", "--mask-ratio", "1.5", "--out", tmp.resolve("x").toString()), 2,
                "--mask-ratio must lie in (0, 1), got 1.5");
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void eachOptionIsCheckedInOnePlaceTheSameForEveryCommand() throws IOException {
        assertOneLine(Cli.tessera("pretrain", "mae", "--mask-ratio", "0"), 2,
                "tessera pretrain mae: --mask-ratio must lie in (0, 1), got 0.0 (see 'tessera pretrain mae --help')");
        assertOneLine(Cli.tessera("reconstruct", "--checkpoint", "x", "--out", "y.png", "--mask-ratio", "0"), 2,
                "tessera reconstruct: --mask-ratio must lie in (0, 1), got 0.0 (see 'tessera reconstruct --help')");
        int bound = Checks.THREADS_PER_PROCESSOR * Runtime.getRuntime().availableProcessors();
        String threads = "--threads 10000 is more than 4 × the " + Runtime.getRuntime().availableProcessors() + " processors here ("
                + bound + "); more threads only add switching";
        for (String[] cmd : new String[][] {{"pretrain", "mae"}, {"pretrain", "cae"}, {"knn", "--random-init"}, {"linprobe", "--random-init"},
                {"reconstruct", "--checkpoint", maeRun.resolve("checkpoint.safetensors").toString(), "--out", tmp.resolve("t.png").toString()},
                {"attention", "--random-init", "--out", tmp.resolve("t.png").toString()}}) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(cmd), java.util.stream.Stream.of("--threads", "10000",
                    "--device", "cpu")).toArray(String[]::new);
            Cli.Result r = Cli.tessera(args);
            assertOneLineContaining(r, 2, threads);
        }
        assertFalse(Files.exists(tmp.resolve("t.png")));
        assertOneLine(Cli.tessera("pretrain", "mae", "--min-lr", "1", "--lr", "1e-4"), 2,
                "tessera pretrain mae: --min-lr 1.0 exceeds the peak lr 0.0001000 (--lr); the cosine decays from the peak to the floor"
                        + " (see 'tessera pretrain mae --help')");
        assertOneLineContaining(Cli.tessera("pretrain", "cae", "--min-lr", "0.01", "--batch", "16"), 2,
                "--min-lr 0.01 exceeds the peak lr 1.172e-05 (--blr 1.875E-4 × 16 images / 256)");
        assertOneLineContaining(Cli.tessera("pretrain", "mae", "--batch", "16", "--accum", "1000000000"), 2,
                "--batch 16 × --accum 1000000000 = 16000000000 images per step is more than 2147483647");
        assertOneLineContaining(Cli.tessera("pretrain", "mae", "--batch", "16", "--accum", "268435457"), 2,
                "--batch 16 × --accum 268435457 = 4294967312 images per step is more than 2147483647");
        Path file = Files.writeString(tmp.resolve("hostname"), "box\n");
        assertOneLineContaining(Cli.tessera("pretrain", "mae", "--data", file.toString(), "--device", "cpu"), 1,
                "--data " + file + " is a file, not a folder");
        assertOneLineContaining(Cli.tessera("knn", "--random-init", "--data", file.toString(), "--device", "cpu"), 1,
                "--data " + file + " is a file, not a folder");
    }

    @Test
    void imagesOfTheWrongSizeSayExpectedAndGot() {
        Path out = tmp.resolve("never");
        Cli.Result r = Cli.tessera("pretrain", "mae", "--data", images.toString(), "--crop", "224", "--steps", "1", "--batch", "4",
                "--device", "cpu", "--out", out.toString());
        assertOneLine(r, 1, "tessera pretrain mae: model mae-tiny expects 1×28×28 images, but the data (image-folder "
                + images.toAbsolutePath() + " (crop 224)) gives 1×224×224");
        assertFalse(Files.exists(out), "no run directory for a run that never started");
    }

    @Test
    void unwritableOutputIsOneLineAndLeavesNothing() throws IOException {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Path out = file.resolve("run");
        Cli.Result r = Cli.tessera("pretrain", "mae", "--data", images.toString(), "--steps", "1", "--batch", "4", "--device", "cpu",
                "--out", out.toString());
        assertOneLineContaining(r, 1, "tessera pretrain mae: --out " + out + " is not writable");
        assertEquals("x", Files.readString(file));
    }

    @Test
    void malformedCheckpointGivesTheIoMessageWithThePath() throws IOException {
        Path bad = tmp.resolve("bad/checkpoint.safetensors");
        Files.createDirectories(bad.getParent());
        Files.write(bad, new byte[] {1, 2, 3});
        assertOneLine(Cli.tessera("reconstruct", "--checkpoint", bad.toString(), "--out", tmp.resolve("r.png").toString(), "--device", "cpu"),
                1, "tessera reconstruct: " + bad + ": header length: the file has 3 bytes, fewer than the 8-byte header length");
        assertOneLine(Cli.tessera("pretrain", "mae", "--resume", bad.getParent().toString(), "--device", "cpu"), 1,
                "tessera pretrain mae: " + bad.toAbsolutePath() + ": header length: the file has 3 bytes, fewer than the 8-byte header length");
        assertFalse(Files.exists(tmp.resolve("r.png")));
    }

    @Test
    void checkpointOfAnotherArchitectureNamesTheFirstMismatch() {
        Path ckpt = maeRun.resolve("checkpoint.safetensors");
        assertOneLine(Cli.tessera("reconstruct", "--checkpoint", ckpt.toString(), "--model", "mae-vit-small-patch16", "--out",
                        tmp.resolve("r2.png").toString(), "--device", "cpu"), 1,
                "tessera reconstruct: " + ckpt + " does not fit model mae-vit-small-patch16 (MAE): parameter 'cls_token' is "
                        + "[1, 1, 192] in the checkpoint but [1, 1, 384] in the model (the checkpoint is mae-tiny (MAE))");
        assertFalse(Files.exists(tmp.resolve("r2.png")));
    }

    @Test
    void missingOrUnknownThingsAreNamed() {
        assertOneLineContaining(Cli.tessera("pretrain", "mae", "--model", "mae-nope", "--device", "cpu"), 1,
                "unknown MAE preset 'mae-nope'; valid: ", "mae-tiny");
        assertOneLineContaining(Cli.tessera("pretrain", "mae", "--resume", tmp.resolve("nowhere").toString()), 1,
                "--resume " + tmp.resolve("nowhere") + ": no such run folder");
        assertOneLineContaining(Cli.tessera("pretrain", "mae", "--data", tmp.resolve("nowhere").toString(), "--device", "cpu"), 1,
                "--data " + tmp.resolve("nowhere") + ": no such folder");
        assertOneLineContaining(Cli.tessera("pretrain", "mae", "--device", "tpu"), 1, "--device must be auto, cpu or cuda, got 'tpu'");
        assertOneLineContaining(Cli.tessera("pretrain", "mae", "--bogus"), 2, "Unknown option: '--bogus'");
        assertOneLineContaining(Cli.tessera("pretrain"), 2, "choose a method: tessera pretrain mae | tessera pretrain cae");
        assertOneLineContaining(Cli.tessera("pretrain", "cae", "--target", "tokens", "--device", "cpu"), 2,
                "--target tokens needs --tokenizer FILE");
    }

    @Test
    void everyCommandHasHelp() {
        String[][] commands = {{}, {"pretrain"}, {"pretrain", "mae"}, {"pretrain", "cae"}, {"tokenizer"}, {"tokenizer", "fit"},
                {"model"}, {"reconstruct"}, {"info"}};
        for (String[] c : commands) {
            String[] args = java.util.Arrays.copyOf(c, c.length + 1);
            args[c.length] = "--help";
            Cli.Result r = Cli.tessera(args);
            assertEquals(0, r.exit(), String.join(" ", args) + "\n" + r);
            assertTrue(r.out().contains("Usage: tessera"), String.join(" ", args) + "\n" + r.out());
        }
        assertTrue(Cli.tessera("pretrain", "mae", "--help").out().contains("--checkpoint-every"));
    }
}
