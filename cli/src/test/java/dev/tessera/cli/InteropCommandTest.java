package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.io.SafeTensorsFile;
import dev.tessera.eval.ResultFile;
import dev.tessera.train.testing.TinyRun;
import dev.tessera.train.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tessera export}, {@code tessera import} and {@code --init} end to end on a real (tiny) pre-training run:
 * export to Hugging Face names, import that back, fine-tune from it and save the classifier, export the classifier to
 * timm, continue pre-training and draw reconstructions from imported weights, and the refusals. The name mappings
 * themselves are proven against PyTorch-written files in the tests module (InteropGoldenTest).
 */
class InteropCommandTest {
    @TempDir
    static Path tmp;
    static Path data, run, hf;

    @BeforeAll
    static void fixtures() {
        data = TinyRun.imageFolder(tmp.resolve("images"), 24, 8);
        TinyRun.checkpoint(tmp.resolve("run"), 3);
        run = tmp.resolve("run");
        hf = tmp.resolve("hf/model.safetensors");
        Cli.Result r = Cli.tessera("export", "--checkpoint", run.toString(), "--format", "hf", "--out", hf.toString());
        assertEquals(0, r.exit(), r.toString());
    }

    @Test
    void exportWritesHuggingFaceNamesAndItsConfig() {
        SafeTensorsFile f = SafeTensors.read(hf);
        assertTrue(f.tensors().containsKey("vit.encoder.layer.1.attention.attention.query.weight"));
        assertTrue(f.tensors().containsKey("decoder.decoder_layers.0.intermediate.dense.weight"));
        assertFalse(f.tensors().keySet().stream().anyMatch(n -> n.startsWith("optimizer.") || n.startsWith("history.")), "weights only");
        assertTrue(Files.isRegularFile(hf.resolveSibling("config.json")), "config.json beside the file, as save_pretrained lays it out");
        assertEquals("pt", f.metadata().get("format"));
    }

    @Test
    void importThenFinetuneFromItThenExportTheClassifierToTimm() {
        Path imported = tmp.resolve("imported.safetensors");
        Cli.Result r = Cli.tessera("import", hf.toString(), "--out", imported.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("head counts from"), r.out());
        Path ft = tmp.resolve("ft/classifier.safetensors");
        r = Cli.tessera("finetune", "--init", imported.toString(), "--data", data.toString(), "--epochs", "2", "--batch", "16",
                "--device", "cpu", "--threads", "2", "--save", ft.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("finetune top-1: "), r.out());
        Map<String, Object> json = ResultFile.read(imported.resolveSibling("finetune.json"));
        assertEquals(imported.toAbsolutePath().normalize().toString(), json.get("init"));
        Path timm = tmp.resolve("ft/timm.safetensors");
        r = Cli.tessera("export", "--checkpoint", ft.toString(), "--format", "timm", "--out", timm.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("\"global_pool\":\"avg\""), r.out());
        SafeTensorsFile f = SafeTensors.read(timm);
        assertArrayEquals(new int[] {TinyRun.CLASSES, 16}, f.get("head.weight").shape());
        assertTrue(f.tensors().containsKey("fc_norm.weight") && !f.tensors().containsKey("norm.weight"), "timm global_pool='avg'");
        r = Cli.tessera("export", "--checkpoint", ft.toString(), "--format", "hf", "--out", tmp.resolve("ft/hf.safetensors").toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("export it with --format timm"), r.err());
    }

    @Test
    void pretrainContinuesFromImportedWeights() {
        Path out = tmp.resolve("continued");
        // an lr of 1e-12 leaves the weights where --init put them, so the run's checkpoint shows what it started from
        Cli.Result r = Cli.tessera("pretrain", "mae", "--init", hf.toString(), "--data", data.resolve("train").toString(), "--steps", "1",
                "--batch", "8", "--lr", "1e-12", "--workers", "0", "--device", "cpu", "--threads", "2", "--out", out.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("initialised tiny-test (MAE) from"), r.out());
        float[] start = SafeTensors.read(run.resolve(RunDirectory.CHECKPOINT)).get("blocks.1.mlp.fc2.weight").floats();
        float[] after = SafeTensors.read(out.resolve(RunDirectory.CHECKPOINT)).get("blocks.1.mlp.fc2.weight").floats();
        for (int i = 0; i < start.length; i++) assertEquals(start[i], after[i], 1e-6, "element " + i);
    }

    @Test
    void evaluationAndReconstructionReadImportedWeights() {
        Cli.Result r = Cli.tessera("knn", "--init", hf.toString(), "--data", data.toString(), "--device", "cpu", "--out",
                tmp.resolve("knn.json").toString());
        assertEquals(0, r.exit(), r.toString());
        Path png = tmp.resolve("recon.png");
        r = Cli.tessera("reconstruct", "--init", hf.toString(), "--data", data.toString(), "--out", png.toString(), "--device", "cpu");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(Files.isRegularFile(png));
    }

    @Test
    void aMaliciousCheckpointIsRefusedInOneLine() throws IOException {
        Path evil = tmp.resolve("evil.pth");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(evil))) {
            z.putNextEntry(new ZipEntry("evil/data.pkl"));
            // pickle.dumps({"model": {}, "x": Evil()}, protocol=2) where Evil.__reduce__ returns (os.system, ("echo pwned",))
            z.write(HexFormat.of().parseHex("80027d71002858050000006d6f64656c71017d7102580100000078710363706f7369780a73797374656d0a"
                    + "7104580a0000006563686f2070776e65647105857106527107752e"));
        }
        Cli.Result r = Cli.tessera("import", evil.toString(), "--out", tmp.resolve("never.safetensors").toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("refusing to unpickle 'posix.system'"), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace: " + r.err());
        assertFalse(Files.exists(tmp.resolve("never.safetensors")));
    }

    @Test
    void badOptionsAreUsageErrors() {
        Cli.Result r = Cli.tessera("export", "--checkpoint", run.toString(), "--format", "onnx", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("unknown format 'onnx'; valid: tessera, timm, hf"), r.err());
        r = Cli.tessera("export", "--checkpoint", run.toString(), "--format", "timm", "--out", hf.toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("already exists"), r.err());
        r = Cli.tessera("import", hf.toString(), "--out", tmp.resolve("y").toString(), "--heads", "0");
        assertEquals(2, r.exit(), r.toString());
        r = Cli.tessera("knn", "--init", hf.toString(), "--checkpoint", hf.toString(), "--device", "cpu");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("not both"), r.err());
    }
}
