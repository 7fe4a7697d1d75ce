package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.io.SafeTensorsFile;
import dev.tessera.engine.io.TensorData;
import dev.tessera.train.testing.TinyRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command that reads a checkpoint refuses a damaged one with one line naming the file and the tensor — a NaN
 * weight used to evaluate to chance with exit 0 — and refuses options that contradict the file.
 */
class CheckpointReadersTest {
    @TempDir
    static Path tmp;
    static Path data, checkpoint;

    @BeforeAll
    static void fixtures() {
        data = TinyRun.imageFolder(tmp.resolve("images"), 8, 4);
        checkpoint = TinyRun.checkpoint(tmp.resolve("run"), 2);
    }

    /** A copy of the checkpoint with {@code change} applied to its tensors. */
    private static Path damaged(String name, Consumer<Map<String, TensorData>> change) {
        SafeTensorsFile f = SafeTensors.read(checkpoint);
        Map<String, TensorData> t = new LinkedHashMap<>(f.tensors());
        change.accept(t);
        Path p = tmp.resolve(name).resolve("checkpoint.safetensors");
        try {
            Files.createDirectories(p.getParent());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        SafeTensors.write(p, t, f.metadata());
        return p;
    }

    private static Consumer<Map<String, TensorData>> set(String tensor, int element, float value) {
        return t -> {
            float[] v = t.get(tensor).floats().clone();
            if (element < 0) Arrays.fill(v, value);
            else v[element] = value;
            t.put(tensor, TensorData.f32(v, t.get(tensor).shape()));
        };
    }

    private static String[] readers(String command, Path ckpt) {
        return switch (command) {
            case "knn" -> new String[] {command, "--checkpoint", ckpt.toString(), "--data", data.toString(), "--device", "cpu"};
            case "linprobe", "attnprobe", "finetune" -> new String[] {command, "--checkpoint", ckpt.toString(), "--data",
                    data.toString(), "--device", "cpu", "--threads", "2", "--epochs", "1"};
            case "reconstruct" -> new String[] {command, "--checkpoint", ckpt.toString(), "--data", data.toString(), "--device", "cpu",
                    "--out", tmp.resolve("r.png").toString()};
            case "attention" -> new String[] {command, "--checkpoint", ckpt.toString(), "--data", data.toString(), "--device", "cpu",
                    "--out", tmp.resolve("a.png").toString()};
            case "export" -> new String[] {command, "--checkpoint", ckpt.toString(), "--format", "tessera", "--out",
                    tmp.resolve("e.safetensors").toString()};
            case "import" -> new String[] {command, ckpt.toString(), "--out", tmp.resolve("i.safetensors").toString()};
            case "resume" -> new String[] {"pretrain", "mae", "--resume", ckpt.getParent().toString(), "--device", "cpu"};
            default -> throw new IllegalArgumentException(command);
        };
    }

    private static void assertRefused(String[] args, String... parts) {
        Cli.Result r = Cli.tessera(args);
        String err = r.err().strip();
        assertEquals(1, r.exit(), String.join(" ", args) + "\n" + r);
        assertFalse(err.contains("\n"), "one line: " + err);
        for (String p : parts) assertTrue(err.contains(p), String.join(" ", args) + ": '" + p + "' in: " + err);
    }

    @Test
    void everyReaderRefusesANonFiniteWeightNamingFileAndTensor() {
        Path nan = damaged("nan", set("norm.weight", 0, Float.NaN));
        Path inf = damaged("inf", set("blocks.0.mlp.fc1.weight", -1, Float.POSITIVE_INFINITY));
        for (String c : List.of("knn", "linprobe", "attnprobe", "finetune", "reconstruct", "attention", "export", "import")) {
            assertRefused(readers(c, nan), nan + ": tensor 'norm.weight' holds NaN at element 0");
            assertRefused(readers(c, inf), inf + ": tensor 'blocks.0.mlp.fc1.weight' holds Infinity at element 0");
        }
        assertFalse(Files.exists(tmp.resolve("r.png")) || Files.exists(tmp.resolve("a.png")) || Files.exists(tmp.resolve("e.safetensors")));
    }

    @Test
    void anInfiniteOptimizerMomentIsRefusedOnResume() {
        Path v = damaged("v-inf", set("optimizer.v.blocks.0.attn.qkv.weight", 5, Float.POSITIVE_INFINITY));
        assertRefused(readers("resume", v), v.toAbsolutePath() + ": tensor 'optimizer.v.blocks.0.attn.qkv.weight' holds Infinity at element 5");
    }

    @Test
    void aFinalNormOfTheWrongShapeIsRefusedByFinetuneToo() {
        Path odd = damaged("norm191", t -> t.put("norm.weight", TensorData.f32(new float[191], 191)));
        assertRefused(readers("finetune", odd), odd.toString(), "tensor 'norm.weight' is [191] but the encoder", "needs [16]");
        assertRefused(readers("knn", odd), odd.toString(), "norm.weight", "[191]");
    }

    @Test
    void modelAndRandomInitSayHowTheyRelateToTheCheckpoint() {
        assertRefused(new String[] {"knn", "--checkpoint", checkpoint.toString(), "--model", "mae-tiny", "--data", data.toString(),
                "--device", "cpu"}, "--model mae-tiny conflicts with " + checkpoint, "leave out --model");
        Cli.Result r = Cli.tessera("knn", "--checkpoint", checkpoint.toString(), "--random-init", "--data", data.toString(), "--device", "cpu",
                "--threads", "2", "--out", tmp.resolve("knn-random.json").toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("random encoder of the same shape") && r.out().contains(checkpoint + ", whose weights are not used"),
                r.out());
    }
}
