package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.eval.ResultFile;
import dev.tessera.train.testing.TinyRun;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LinprobeCommandTest {
    @TempDir
    static Path tmp;
    static Path data, checkpoint;

    @BeforeAll
    static void fixtures() {
        data = TinyRun.imageFolder(tmp.resolve("images"), 24, 8);
        checkpoint = TinyRun.checkpoint(tmp.resolve("run"), 3);
    }

    /** Runs a command; returns {exit code, stdout, stderr}. */
    static String[] run(Object command, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void probesACheckpointsEncoderAndWritesTheResultNextToIt() {
        String[] r = run(new LinprobeCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(), "--epochs", "20",
                "--batch", "16", "--augment", "none", "--device", "cpu", "--threads", "2");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("linprobe top-1: "), r[1]);
        Map<String, Object> json = ResultFile.read(checkpoint.getParent().resolve("linprobe.json"));
        assertEquals("linprobe", json.get("command"));
        assertEquals(false, json.get("random_init"));
        assertEquals("lars", json.get("optimizer"));
        assertEquals(96, json.get("train_images"));
        assertEquals(32, json.get("test_images"));
        double top1 = ((Number) json.get("top1")).doubleValue();
        assertTrue(top1 >= 75, "the bars are linearly separable even through a barely trained encoder; got " + top1);
    }

    @Test
    void randomInitWithAvgPoolWritesItsOwnFile() {
        String[] r = run(new LinprobeCommand(), "--checkpoint", checkpoint.toString(), "--random-init", "--pool", "avg", "--data",
                data.toString(), "--epochs", "5", "--batch", "16", "--device", "cpu", "--precision", "bf16");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("device: cpu(") && r[1].contains("precision bf16"), r[1]);
        Map<String, Object> json = ResultFile.read(checkpoint.getParent().resolve("linprobe-random.json"));
        assertEquals("bf16", json.get("precision"));
        assertEquals(true, json.get("random_init"));
        assertEquals("avg", json.get("features"));
    }

    @Test
    void usageErrorsNameTheProblem() {
        String[] r = run(new LinprobeCommand(), "--data", data.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("give --checkpoint FILE (a pretraining checkpoint), --init FILE (weights in any format), or --random-init"), r[2]);
        r = run(new LinprobeCommand(), "--random-init", "--pool", "max", "--data", data.toString(), "--device", "cpu");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--pool must be cls or avg, got 'max'"), r[2]);
        r = run(new LinprobeCommand(), "--random-init", "--data", data.toString(), "--device", "cpu", "--precision", "fp16");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--precision must be fp32, tf32 or bf16, got 'fp16'"), r[2]);
    }

    @Test
    void augmentsEveryEpochByDefaultOnAnImageFolder() {
        Path out = tmp.resolve("aug.json");
        String[] r = run(new LinprobeCommand(), "--checkpoint", checkpoint.toString(), "--data", data.toString(), "--epochs", "3",
                "--batch", "16", "--device", "cpu", "--threads", "2", "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("probe: LARS, 3 epochs, batch 16, lr 6.4, min lr 0, warmup 2, features of freshly augmented images every epoch"),
                r[1]);
        Map<String, Object> json = ResultFile.read(out);
        assertEquals("every-epoch", json.get("augment"));
        assertEquals(0.0, ((Number) json.get("min_lr")).doubleValue());
    }

    @Test
    void pixelsProbeOfTheFolderImages() {
        Path out = tmp.resolve("pixels.json");
        // --model gives the image size (8×8 of the tiny run is not a preset; pixels need no encoder, but a shape)
        String[] r = run(new LinprobeCommand(), "--pixels", "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--epochs", "20", "--batch", "16", "--augment", "none", "--device", "cpu", "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        Map<String, Object> json = ResultFile.read(out);
        assertEquals("pixels", json.get("features"));
        assertTrue(Files.exists(out));
        assertTrue(((Number) json.get("top1")).doubleValue() >= 90, json.toString());
    }
}
