package dev.tessera.eval;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.Checkpoint;
import dev.tessera.train.ModelSpec;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.VisionTransformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The encoder an evaluation reads: the ViT encoder of a pretraining checkpoint, loaded by name, or — the
 * baseline — a randomly initialised encoder of exactly the same shape ({@code --random-init}).
 *
 * <p>Names: an MAE checkpoint keeps the encoder at the top level ({@code patch_embed.*}, {@code cls_token},
 * {@code pos_embed}, {@code blocks.i.*}, {@code norm.*}) next to {@code decoder_*} and {@code mask_token}; a CAE
 * checkpoint under {@code encoder.}. Both are exactly {@link VisionTransformer}'s names (docs/vit.md), so the
 * encoder loads into a probe encoder or a fine-tuning classifier without renaming. The encoder's shape comes
 * from the checkpoint's {@code model_spec} (a plain state dict without one needs the preset named instead).
 *
 * @param encoder     the encoder configuration (no head, cls pooling, the method's position-table order)
 * @param method      "mae" or "cae": CAE fine-tuning keeps the position table fixed (docs/cae.md#evaluation)
 * @param weights     the encoder tensors by VisionTransformer name, or null for a random encoder
 * @param description one line for logs and result files
 */
public record EncoderSource(ViTConfig encoder, String method, Map<String, TensorData> weights, String description) {

    /** The encoder of a pretraining checkpoint; {@code fallbackPreset} (an MAE preset) names the shape of a plain state dict. */
    public static EncoderSource fromCheckpoint(Path path, String fallbackPreset) {
        return fromCheckpoint(path, fallbackPreset, false);
    }

    /**
     * As {@link #fromCheckpoint(Path, String)}; {@code presetGiven}: the user named the preset ({@code --model}), which
     * is then an error for a file that records another model — silently preferring either would evaluate something
     * other than what one of the two says.
     */
    public static EncoderSource fromCheckpoint(Path path, String fallbackPreset, boolean presetGiven) {
        Checkpoint c = Checkpoint.read(path);
        ModelSpec spec = c.spec();
        String at = c.isTrainingCheckpoint() ? " after " + c.step() + " steps" : "";
        if (spec != null && presetGiven && !spec.name().equals(fallbackPreset)) {
            throw new IllegalArgumentException("--model " + fallbackPreset + " conflicts with " + path + ", which holds " + spec.describe()
                    + "; leave out --model (it names the shape of a plain state dict only)");
        }
        if (spec != null) return of(spec, c.modelState(), "encoder of " + spec.describe() + at + " from " + path);
        if (fallbackPreset == null) {
            throw new IllegalArgumentException(path + " has no model_spec metadata (a plain state dict); name its shape with --model PRESET");
        }
        String prefix = c.modelState().containsKey("encoder.cls_token") ? "encoder." : "";
        return new EncoderSource(MaeConfig.preset(fallbackPreset).encoder(), "mae", encoderPart(c.modelState(), prefix),
                "encoder of " + fallbackPreset + " (plain state dict)" + at + " from " + path);
    }

    /**
     * The encoder of a pretraining model in memory, its current weights copied to the host — taken before
     * training, the exact starting point a pre-training run improves on (the comparison's baseline).
     */
    public static EncoderSource fromModel(ModelSpec spec, Module model, String description) {
        Map<String, TensorData> state = new LinkedHashMap<>();
        model.stateDict().forEach((name, t) -> state.put(name, t.isInt() ? TensorData.i32(t.toIntArray(), t.shape())
                : TensorData.f32(t.toArray(), t.shape())));
        return of(spec, state, description);
    }

    /** The encoder tensors of a whole model's state: MAE's at the top level, CAE's under {@code encoder.}. */
    private static EncoderSource of(ModelSpec spec, Map<String, TensorData> state, String description) {
        return switch (spec.method()) {
            case "mae" -> new EncoderSource(spec.maeConfig().encoder(), "mae", encoderPart(state, ""), description);
            case "cae" -> new EncoderSource(spec.caeConfig().encoder(), "cae", encoderPart(state, "encoder."), description);
            default -> throw new IllegalArgumentException(description + ": a '" + spec.method()
                    + "' model; evaluation reads MAE and CAE encoders");
        };
    }

    private static Map<String, TensorData> encoderPart(Map<String, TensorData> state, String prefix) {
        Map<String, TensorData> weights = new LinkedHashMap<>();
        state.forEach((name, t) -> {
            if (name.startsWith(prefix)) weights.put(name.substring(prefix.length()), t);
        });
        return weights;
    }

    /** A random encoder of the MAE preset {@code preset}'s shape. */
    public static EncoderSource randomPreset(String preset) {
        return new EncoderSource(MaeConfig.preset(preset).encoder(), "mae", null, "random " + preset + " encoder");
    }

    /** The same shape without the weights: the random-encoder baseline. */
    public EncoderSource asRandom() {
        return new EncoderSource(encoder, method, null, "random encoder of the same shape (" + encoder.describe() + ")"
                + (weights != null && !description.isEmpty() ? " as the " + description + ", whose weights are not used" : ""));
    }

    public boolean isRandom() {
        return weights == null;
    }

    /** The frozen encoder for probes and kNN: {@link #encoder} as is, every tensor loaded (strict). */
    public VisionTransformer buildEncoder(Backend backend, long seed) {
        VisionTransformer vit = new VisionTransformer(encoder, backend, new Rng(seed));
        load(vit, n -> false);
        vit.train(false);
        return vit;
    }

    /**
     * The fine-tuning classifier (docs/mae.md#fine-tuning): average pooling + {@code fc_norm}, a {@code classes}-way head
     * (std 2e-5), drop-path {@code dropPath}; MAE fine-tunes the position table, CAE keeps it fixed (docs/cae.md#evaluation).
     * The encoder's blocks, patch embedding, cls token and position table are loaded; {@code fc_norm} and the
     * head start fresh; the pretrained final {@code norm} has no place in an average-pooled model. CAE encoders
     * get BEiT's relative position bias ({@link #defaultRelPosBias}).
     */
    public VisionTransformer buildClassifier(int classes, double dropPath, Backend backend, long seed) {
        return buildClassifier(classes, dropPath, defaultRelPosBias(), backend, seed);
    }

    /**
     * As {@link #buildClassifier(int, double, Backend, long)} with BEiT's relative position bias in every block
     * ({@code relPosBias}); its zero tables start fresh unless the weights carry them.
     */
    public VisionTransformer buildClassifier(int classes, double dropPath, boolean relPosBias, Backend backend, long seed) {
        ViTConfig cfg = encoder.withNumClasses(classes).withPool(dev.tessera.vit.Pool.AVG).withDropPath(dropPath)
                .withHeadInitStd(2e-5).withPosLearnable(!method.equals("cae")).withRelPosBias(relPosBias);
        VisionTransformer vit = new VisionTransformer(cfg, backend, new Rng(seed));
        load(vit, n -> n.startsWith("fc_norm.") || n.startsWith("head.") || n.endsWith(".attn.relative_position_bias_table"));
        return vit;
    }

    /**
     * Whether fine-tuning adds the relative position bias by default: yes for CAE, whose
     * {@code run_class_finetuning.py} sets {@code rel_pos_bias=True} (Atten4Vis/CAE, lxtGH/CAE); no for MAE, whose
     * official fine-tuning ({@code models_vit.py}) has none.
     */
    public boolean defaultRelPosBias() {
        return method.equals("cae");
    }

    private void load(VisionTransformer vit, Predicate<String> fresh) {
        if (weights == null) return;
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String name : vit.stateDict().keySet()) {
            TensorData t = weights.get(name);
            if (t == null) {
                if (!fresh.test(name)) missing.add(name);
                continue;
            }
            if (!t.isFloating()) throw new IllegalArgumentException(description + ": tensor '" + name + "' is " + t.dtype() + ", not a float");
            values.put(name, t.floats());
            shapes.put(name, t.shape());
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(description + " lacks encoder tensors " + String.join(", ", missing.subList(0, Math.min(8, missing.size())))
                    + (missing.size() > 8 ? " … (" + missing.size() + " in all)" : ""));
        }
        // The average-pooled classifier has no final norm, so nothing else would look at it; a wrong shape still
        // means the file is not this encoder, which every other reader of the same file reports.
        for (String norm : List.of("norm.weight", "norm.bias")) {
            TensorData t = weights.get(norm);
            if (t != null && !vit.stateDict().containsKey(norm) && !java.util.Arrays.equals(t.shape(), new int[] {encoder.dim()})) {
                throw new IllegalArgumentException(description + ": tensor '" + norm + "' is " + Shape.str(t.shape()) + " but the encoder ("
                        + encoder.describe() + ") needs " + Shape.str(new int[] {encoder.dim()}));
            }
        }
        try {
            vit.loadStateDict(values, shapes, fresh, n -> false);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(description + ": " + e.getMessage(), e);
        }
    }
}
