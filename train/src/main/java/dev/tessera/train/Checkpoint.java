package dev.tessera.train;

import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.io.SafeTensorsFile;
import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * checkpoint.safetensors: everything needed to continue a run bit-for-bit, in one file written atomically
 * (temporary file, fsync, rename — a run killed mid-save keeps the previous checkpoint).
 *
 * <p>Tensors: the model's parameters and fixed buffers under their own names (so the file is also a plain
 * state dict: {@code Module.loadStateDict} with {@code ignoreUnexpected = n -> n.startsWith("optimizer.") ||
 * n.startsWith("history.")} loads the weights), AdamW's moments as {@code optimizer.m.<name>} and
 * {@code optimizer.v.<name>}, and the per-step loss history as {@code history.loss} [steps].
 *
 * <p>Metadata (strings): {@code format}, {@code method}, {@code model} (preset name), {@code model_spec}
 * (method + full configuration, JSON), {@code run_config} (config.json), {@code step} (optimizer steps done),
 * {@code epoch} and {@code batch} (where the data resumes: loader epoch and batch index), {@code optimizer.step}
 * (AdamW's t), {@code rng.model.state} and {@code rng.model.draws} (see {@link RngCursor}). The per-step
 * masks and the data order need no state of their own: they are functions of (seed, step) and (seed, epoch).
 *
 * @param modelState  the model's tensors by name
 * @param optimizer   AdamW's state, or null for a plain state dict
 * @param step        optimizer steps done (0 for a plain state dict)
 * @param spec        the model, or null when the file does not say (a plain state dict)
 * @param run         the run's configuration, or null for a plain state dict
 */
public record Checkpoint(Path path, Map<String, TensorData> modelState, AdamW.State optimizer, int step, int epoch, int batch,
                         long[] rngState, long rngDraws, float[] losses, ModelSpec spec, RunConfig run) {

    public static final String FORMAT = "tessera-checkpoint-1";
    static final String OPT_M = "optimizer.m.", OPT_V = "optimizer.v.", LOSSES = "history.loss";

    /** Whether this file can continue a run (not just provide weights). */
    public boolean isTrainingCheckpoint() {
        return optimizer != null;
    }

    // ================================================================ writing

    /** Writes a training checkpoint of the state after {@code step} steps; atomic. */
    static void write(Path path, Module model, AdamW optimizer, int step, int epoch, int batch, long[] rngState, long rngDraws,
                      float[] losses, RunConfig run) {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (var e : model.stateDict().entrySet()) tensors.put(e.getKey(), host(e.getValue()));
        AdamW.State s = optimizer.state();
        for (var e : s.m().entrySet()) tensors.put(OPT_M + e.getKey(), TensorData.f32(e.getValue(), e.getValue().length));
        for (var e : s.v().entrySet()) tensors.put(OPT_V + e.getKey(), TensorData.f32(e.getValue(), e.getValue().length));
        tensors.put(LOSSES, TensorData.f32(losses.clone(), losses.length));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("method", run.model().method());
        meta.put("model", run.model().name());
        meta.put("model_spec", Json.compact(run.model()));
        meta.put("run_config", Json.compact(run));
        meta.put("step", Integer.toString(step));
        meta.put("epoch", Integer.toString(epoch));
        meta.put("batch", Integer.toString(batch));
        meta.put("optimizer.step", Integer.toString(s.step()));
        meta.put("rng.model.state", Arrays.toString(rngState).replaceAll("[\\[\\] ]", ""));
        meta.put("rng.model.draws", Long.toString(rngDraws));
        SafeTensors.write(path, tensors, meta);
    }

    private static TensorData host(Tensor t) {
        return t.isInt() ? TensorData.i32(t.toIntArray(), t.shape()) : TensorData.f32(t.toArray(), t.shape());
    }

    // ================================================================ reading

    /**
     * Reads a training checkpoint, or a plain safetensors state dict (no {@code format} metadata: weights only).
     * A damaged file fails with the io layer's message, which names the file and the field.
     */
    public static Checkpoint read(Path path) {
        if (Files.isDirectory(path)) {
            throw new IllegalArgumentException(path + " is a folder, not a checkpoint file (a run's checkpoint is " + path.resolve(RunDirectory.CHECKPOINT) + ")");
        }
        SafeTensorsFile f = SafeTensors.read(path);
        // Every tensor, weights and optimizer moments alike: a NaN weight evaluates to chance with exit 0, and an
        // infinite AdamW moment freezes its parameter on resume (m/(√v+eps) = 0) without any loss turning NaN.
        f.tensors().forEach((name, t) -> t.requireFinite(path.toString(), name));
        Map<String, String> meta = f.metadata();
        String format = meta.get("format");
        if (format == null) {
            return new Checkpoint(path, f.tensors(), null, 0, 0, 0, null, 0, new float[0],
                    meta.containsKey("model_spec") ? Json.read(meta.get("model_spec"), ModelSpec.class, path + ": model_spec") : null, null);
        }
        if (!format.equals(FORMAT)) {
            throw new IllegalArgumentException(path + ": checkpoint format '" + format + "'; this build reads " + FORMAT);
        }
        Map<String, TensorData> model = new LinkedHashMap<>();
        Map<String, float[]> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
        float[] losses = null;
        for (var e : f.tensors().entrySet()) {
            String n = e.getKey();
            if (n.startsWith(OPT_M)) m.put(n.substring(OPT_M.length()), e.getValue().floats());
            else if (n.startsWith(OPT_V)) v.put(n.substring(OPT_V.length()), e.getValue().floats());
            else if (n.equals(LOSSES)) losses = e.getValue().floats();
            else model.put(n, e.getValue());
        }
        if (losses == null) throw new IllegalArgumentException(path + ": tensor '" + LOSSES + "' is missing");
        int step = integer(path, meta, "step");
        if (losses.length != step) {
            throw new IllegalArgumentException(path + ": " + LOSSES + " has " + losses.length + " entries for " + step + " steps");
        }
        String[] words = required(path, meta, "rng.model.state").split(",");
        long[] rng = new long[4];
        if (words.length != 4) throw new IllegalArgumentException(path + ": metadata rng.model.state must hold 4 numbers");
        for (int i = 0; i < 4; i++) rng[i] = parseLong(path, "rng.model.state", words[i]);
        return new Checkpoint(path, model, new AdamW.State(integer(path, meta, "optimizer.step"), m, v), step,
                integer(path, meta, "epoch"), integer(path, meta, "batch"), rng,
                parseLong(path, "rng.model.draws", required(path, meta, "rng.model.draws")), losses,
                Json.read(required(path, meta, "model_spec"), ModelSpec.class, path + ": metadata model_spec"),
                Json.read(required(path, meta, "run_config"), RunConfig.class, path + ": metadata run_config"));
    }

    private static String required(Path path, Map<String, String> meta, String key) {
        String v = meta.get(key);
        if (v == null) throw new IllegalArgumentException(path + ": metadata '" + key + "' is missing");
        return v;
    }

    private static int integer(Path path, Map<String, String> meta, String key) {
        long v = parseLong(path, key, required(path, meta, key));
        if (v < 0 || v > Integer.MAX_VALUE) throw new IllegalArgumentException(path + ": metadata " + key + " = " + v + " is out of range");
        return (int) v;
    }

    private static long parseLong(Path path, String key, String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(path + ": metadata " + key + " = '" + text + "' is not an integer");
        }
    }

    // ================================================================ loading into a model

    /**
     * Checks that this file's tensors are exactly {@code model}'s, naming the first difference: a parameter
     * whose shape differs (both shapes given), one the file lacks, or one the model lacks.
     */
    public void checkFits(Module model, String modelName) {
        for (var e : model.stateDict().entrySet()) {
            TensorData t = modelState.get(e.getKey());
            int[] mine = e.getValue().shape();
            if (t == null) {
                throw new IllegalArgumentException(path + " does not fit model " + modelName + ": it has no parameter '" + e.getKey()
                        + "' " + Shape.str(mine) + (spec != null ? " (the checkpoint is " + spec.describe() + ")" : ""));
            }
            if (!Arrays.equals(t.shape(), mine)) {
                throw new IllegalArgumentException(path + " does not fit model " + modelName + ": parameter '" + e.getKey() + "' is "
                        + Shape.str(t.shape()) + " in the checkpoint but " + Shape.str(mine) + " in the model"
                        + (spec != null ? " (the checkpoint is " + spec.describe() + ")" : ""));
            }
            if (!t.isFloating()) throw new IllegalArgumentException(path + ": parameter '" + e.getKey() + "' is " + t.dtype() + ", not a float");
        }
        Map<String, Tensor> mine = model.stateDict();
        for (String n : modelState.keySet()) {
            if (!mine.containsKey(n)) {
                throw new IllegalArgumentException(path + " does not fit model " + modelName + ": the checkpoint has parameter '" + n
                        + "' " + Shape.str(modelState.get(n).shape()) + " that the model lacks"
                        + (spec != null ? " (the checkpoint is " + spec.describe() + ")" : ""));
            }
        }
    }

    /** Restores AdamW's moments and step count from this training checkpoint; a mismatch names this file. */
    public void loadOptimizerInto(AdamW opt) {
        if (optimizer == null) throw new IllegalArgumentException(path + " holds weights only, no optimizer state");
        try {
            opt.loadState(optimizer);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ": optimizer state does not fit the model: " + e.getMessage(), e);
        }
    }

    /** {@link #checkFits}, then copies every parameter and buffer into {@code model}. */
    public void loadInto(Module model, String modelName) {
        checkFits(model, modelName);
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        modelState.forEach((n, t) -> {
            values.put(n, t.floats());
            shapes.put(n, t.shape());
        });
        model.loadStateDict(values, shapes);
    }
}
