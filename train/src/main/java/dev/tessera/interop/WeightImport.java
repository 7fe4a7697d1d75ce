package dev.tessera.interop;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.io.SafeTensorsFile;
import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.io.TorchCheckpoint;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.Checkpoint;
import dev.tessera.train.Json;
import dev.tessera.train.ModelSpec;
import dev.tessera.vit.ViTConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a ViT, MAE or CAE from any file people keep one in, into Tessera's names ({@link ModelWeights}):
 * <ul>
 *   <li>safetensors in Tessera's names (a run's checkpoint, {@code tessera export --format tessera}), timm's
 *       {@code VisionTransformer} names, or Hugging Face's ViTModel / ViTMAEForPreTraining / ViTForImageClassification
 *       names (see {@link TimmNames}, {@link HfNames});</li>
 *   <li>PyTorch {@code .pth}/{@code .pt} files ({@link TorchCheckpoint}: never runs code from the file), with the state
 *       dict at the top level or under {@code model} — the official MAE releases ({@code mae_pretrain_vit_base.pth},
 *       encoder only) and training checkpoints are the latter — in the official MAE / CAE / models_vit names or timm's.</li>
 * </ul>
 * The configuration comes from the file's metadata when Tessera wrote it, else from the shapes
 * ({@link ShapeInference}); the head counts, which shapes cannot tell, from {@link Hints}, an HF {@code config.json}
 * beside the file, or a Tessera preset of the same shapes. Every tensor is checked against the configuration.
 */
public final class WeightImport {
    private WeightImport() {}

    /** What shapes cannot tell: the encoder's and an MAE decoder's number of attention heads (null: find out). */
    public record Hints(Integer heads, Integer decoderHeads) {
        public static final Hints NONE = new Hints(null, null);

        public Hints {
            if (heads != null && heads < 1 || decoderHeads != null && decoderHeads < 1) {
                throw new IllegalArgumentException("head counts must be positive, got " + heads + ", " + decoderHeads);
            }
        }
    }

    /** Metadata keys Tessera writes into exported files ({@link WeightExport}) so that they reopen without hints. */
    static final String KIND = "tessera.kind", METHOD = "tessera.method", VIT = "tessera.vit_config", NAMING = "tessera.format",
            MODEL_SPEC = "model_spec";

    /** Reads {@code file}; see the class comment. Errors are one line naming the file and the tensor or field. */
    public static ModelWeights read(Path file, Hints hints) {
        String where = file.toString();
        List<String> notes = new ArrayList<>();
        Map<String, TensorData> raw;
        Map<String, String> meta = Map.of();
        ModelSpec recorded = null;
        String container;
        if (isTorchFile(file)) {
            TorchCheckpoint.StateDict sd = TorchCheckpoint.readStateDict(file);
            raw = sd.tensors();
            container = "PyTorch checkpoint, state dict " + (sd.location().equals("the top level") ? "at the top level" : sd.location());
        } else {
            SafeTensorsFile f = SafeTensors.read(file);
            meta = f.metadata();
            if (Checkpoint.FORMAT.equals(meta.get("format"))) {
                Checkpoint c = Checkpoint.read(file);
                raw = c.modelState();
                recorded = c.spec();
                container = "Tessera training checkpoint after " + c.step() + " steps";
            } else {
                raw = f.tensors();
                if (meta.containsKey(MODEL_SPEC)) recorded = Json.read(meta.get(MODEL_SPEC), ModelSpec.class, where + ": metadata " + MODEL_SPEC);
                container = "safetensors";
            }
        }
        Map<String, TensorData> tensors = floats(stripDdp(raw, notes), where);
        boolean hf = HfNames.matches(tensors);
        String naming = hf ? "Hugging Face names" : "timm / official names";
        if (hf) tensors = HfNames.toTessera(tensors, where, notes);
        if (tensors.keySet().removeIf(n -> n.startsWith("alignment_encoder."))) {
            notes.add("CAE alignment_encoder.* dropped: Tessera's alignment teacher is the encoder itself");
        }
        ModelWeights.Kind kind = kind(tensors, where);
        if (kind == ModelWeights.Kind.ENCODER && tensors.containsKey("encoder.patch_embed.proj.weight")) {
            tensors = withoutPrefix(tensors, "encoder.");                // a CAE encoder on its own
        }
        if (kind != ModelWeights.Kind.CAE) tensors = TimmNames.toVit(tensors, where, notes);
        if (meta.containsKey(NAMING)) naming = meta.get(NAMING) + " export of Tessera";

        Hints h = hf && hints.heads() == null ? hfConfigHints(file, hints, notes) : hints;
        ViTConfig vit;
        ModelSpec spec = recorded;
        if (spec != null && spec.method().equals("mae")) {
            vit = spec.maeConfig().encoder();
        } else if (spec != null && spec.method().equals("cae")) {
            vit = spec.caeConfig().encoder();
        } else if (meta.containsKey(VIT)) {
            vit = Json.read(meta.get(VIT), ViTConfig.class, where + ": metadata " + VIT);
        } else if (kind == ModelWeights.Kind.MAE) {
            MaeConfig mae = ShapeInference.mae(tensors, h.heads(), h.decoderHeads(), where);
            spec = ModelSpec.of(mae);
            vit = mae.encoder();
        } else {
            vit = ShapeInference.vit(tensors, kind == ModelWeights.Kind.CAE ? "encoder." : "", h.heads(), where);
        }
        if (kind == ModelWeights.Kind.CAE) {
            ShapeInference.check(tensors, "encoder.", vit, null, where);
        } else {
            ShapeInference.check(tensors, "", vit, kind == ModelWeights.Kind.MAE ? spec.maeConfig() : null, where);
        }
        String method = meta.containsKey(METHOD) ? meta.get(METHOD)
                : kind == ModelWeights.Kind.CAE || vit.qvBias() || vit.layerScaleInit() > 0 ? "cae" : "mae";
        String what = spec != null ? spec.describe() : kind.label() + " (" + vit.describe() + ")";
        String description = String.format(Locale.ROOT, "%s from %s (%s, %s, %,d values)", what, file, container, naming, count(tensors));
        return new ModelWeights(kind, vit, method, spec, tensors, description, notes);
    }

    /** PyTorch's zip archive (or its legacy pickle), as opposed to safetensors, by the first bytes. */
    static boolean isTorchFile(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(2);
            return b.length == 2 && (b[0] == 'P' && b[1] == 'K' || (b[0] & 0xff) == 0x80);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException(file + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** What the names say the file holds. */
    private static ModelWeights.Kind kind(Map<String, TensorData> t, String file) {
        if (t.containsKey("encoder.patch_embed.proj.weight")) {
            return t.keySet().stream().anyMatch(n -> n.startsWith("regresser.")) ? ModelWeights.Kind.CAE : ModelWeights.Kind.ENCODER;
        }
        if (!t.containsKey("patch_embed.proj.weight")) {
            List<String> first = new ArrayList<>(t.keySet()).subList(0, Math.min(5, t.size()));
            throw new IllegalArgumentException(file + ": no ViT found: expected patch_embed.proj.weight (official MAE, timm, Tessera),"
                    + " encoder.patch_embed.proj.weight (CAE) or embeddings.patch_embeddings.projection.weight (Hugging Face); the file"
                    + " starts with " + first);
        }
        if (t.containsKey("decoder_embed.weight")) return ModelWeights.Kind.MAE;
        return t.containsKey("head.weight") ? ModelWeights.Kind.CLASSIFIER : ModelWeights.Kind.ENCODER;
    }

    private static Map<String, TensorData> withoutPrefix(Map<String, TensorData> t, String prefix) {
        Map<String, TensorData> out = new LinkedHashMap<>();
        t.forEach((n, x) -> out.put(n.startsWith(prefix) ? n.substring(prefix.length()) : n, x));
        return out;
    }

    /** DistributedDataParallel's "module." prefix on every name, removed. */
    private static Map<String, TensorData> stripDdp(Map<String, TensorData> t, List<String> notes) {
        if (t.isEmpty() || !t.keySet().stream().allMatch(n -> n.startsWith("module."))) return new LinkedHashMap<>(t);
        Map<String, TensorData> out = withoutPrefix(t, "module.");
        notes.add("the DistributedDataParallel prefix 'module.' removed from every name");
        return out;
    }

    /** Every tensor as float32, and finite: a NaN or infinity in a weight file is damage, named here rather than trained on. */
    private static Map<String, TensorData> floats(Map<String, TensorData> t, String file) {
        Map<String, TensorData> out = new LinkedHashMap<>();
        t.forEach((n, x) -> {
            TensorData f = HostTensors.f32(x, file + ": " + n);
            f.requireFinite(file, n);
            out.put(n, f);
        });
        return out;
    }

    /** Head counts from an HF {@code config.json} in the same folder (how {@code save_pretrained} lays a model out). */
    private static Hints hfConfigHints(Path file, Hints hints, List<String> notes) {
        Path cfg = file.toAbsolutePath().getParent().resolve("config.json");
        if (!Files.isRegularFile(cfg)) return hints;
        JsonNode root;
        try {
            root = Json.parse(Files.readString(cfg), cfg.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + cfg + ": " + e.getMessage(), e);
        }
        Integer heads = root.path("num_attention_heads").isInt() ? root.get("num_attention_heads").asInt() : null;
        Integer dec = root.path("decoder_num_attention_heads").isInt() ? root.get("decoder_num_attention_heads").asInt() : hints.decoderHeads();
        double eps = root.path("layer_norm_eps").asDouble(1e-6);
        if (eps != 1e-6) {
            notes.add(cfg + " says layer_norm_eps " + eps + "; Tessera's LayerNorms use the official MAE/CAE 1e-6");
        }
        notes.add("head counts from " + cfg);
        return new Hints(heads, dec);
    }

    private static long count(Map<String, TensorData> t) {
        long n = 0;
        for (TensorData x : t.values()) n += x.numel();
        return n;
    }
}
