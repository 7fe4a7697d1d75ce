package dev.tessera.interop;

import dev.tessera.engine.io.AtomicFile;
import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.io.TensorData;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.Json;
import dev.tessera.vit.Pool;
import dev.tessera.vit.ViTConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a model's weights — and nothing else: no optimizer moments, no loss history — as a safetensors file in the
 * names, shapes and layouts a target loads with {@code load_state_dict(strict=True)}:
 * <pre>
 *   tessera   Tessera's own names = the official ones (models_mae.py for an MAE, modeling_cae.py for a CAE,
 *             models_vit.py / timm for a ViT)
 *   timm      timm VisionTransformer: the encoder of an MAE or CAE (num_classes=0, global_pool='token'), or a
 *             classifier (global_pool='token' with norm, or 'avg' with fc_norm, and head)
 *   hf        Hugging Face: ViTMAEForPreTraining for a whole MAE, ViTModel (add_pooling_layer=False) for an encoder,
 *             ViTForImageClassification for a cls-pooled classifier
 * </pre>
 * Every file is float32 and carries metadata {@code format: pt} (transformers refuses safetensors without it) and
 * Tessera's own keys — the kind, the pre-training method, the ViT configuration and, for a whole MAE or CAE, the
 * model spec — so that Tessera reopens it without being told the head counts. timm files record the
 * {@code VisionTransformer} arguments ({@code tessera.timm_args}); HF files record the {@code config.json} the
 * model needs ({@code tessera.hf_config}), which is also written beside the file when that name is free.
 */
public final class WeightExport {
    private WeightExport() {}

    /** The target of an export. */
    public enum Format {
        TESSERA, TIMM, HF;

        public static Format parse(String s) {
            for (Format f : values()) if (f.name().equalsIgnoreCase(s)) return f;
            throw new IllegalArgumentException("unknown format '" + s + "'; valid: tessera, timm, hf");
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What was written: the file, its tensor count, how to load it, and the HF config.json when one was written. */
    public record Written(Path file, int tensors, String loadWith, Path hfConfig) {}

    /** Writes {@code w} as {@code format} to {@code out} (atomically). */
    public static Written write(ModelWeights w, Format format, Path out) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(WeightImport.NAMING, format.label());
        meta.put(WeightImport.METHOD, w.method());
        meta.put("tessera.source", w.description());
        boolean whole = w.kind() == ModelWeights.Kind.MAE || w.kind() == ModelWeights.Kind.CAE;
        Map<String, TensorData> tensors;
        ViTConfig vit = w.vit();
        String loadWith;
        Path hfConfig = null;
        switch (format) {
            case TESSERA -> {
                tensors = w.tensors();
                meta.put(WeightImport.KIND, w.kind().label());
                if (w.spec() != null) meta.put(WeightImport.MODEL_SPEC, Json.compact(w.spec()));
                loadWith = "tessera … --init " + out + (w.kind() == ModelWeights.Kind.MAE ? "; in PyTorch: models_mae.py's MaskedAutoencoderViT"
                        : w.kind() == ModelWeights.Kind.CAE ? "; in PyTorch: CAE's modeling_cae.py" : "; in PyTorch: models_vit.py's VisionTransformer");
            }
            case TIMM -> {
                ViTConfig exported = vit.qvBias() ? vit.withQvBias(false) : vit;   // q/v biases become timm's qkv.bias
                tensors = TimmNames.fromVit(whole ? w.encoderTensors() : w.tensors());
                meta.put(WeightImport.KIND, whole ? ModelWeights.Kind.ENCODER.label() : w.kind().label());
                vit = exported;
                String args = Json.compact(timmArgs(vit));
                meta.put("tessera.timm_args", args);
                loadWith = "timm.models.vision_transformer.VisionTransformer(**" + args + ").load_state_dict(safetensors.torch.load_file(F))";
            }
            case HF -> {
                ViTConfig exported = (vit.qvBias() ? vit.withQvBias(false) : vit).withLayerScale(0);   // LayerScale folded
                if (w.kind() == ModelWeights.Kind.MAE) {
                    MaeConfig m = w.spec().maeConfig();
                    tensors = HfNames.fromMae(w.tensors(), vit, m.decoderDim(), m.decoderDepth());
                    meta.put(WeightImport.KIND, ModelWeights.Kind.MAE.label());
                    meta.put(WeightImport.MODEL_SPEC, Json.compact(w.spec()));
                } else if (w.kind() == ModelWeights.Kind.CLASSIFIER) {
                    if (vit.pool() == Pool.AVG) {
                        throw new IllegalArgumentException("HF ViTForImageClassification classifies the cls token after the final layernorm;"
                                + " this classifier averages the patch tokens and has fc_norm: export it with --format timm"
                                + " (global_pool='avg') or --format tessera");
                    }
                    tensors = HfNames.fromClassifier(w.tensors(), vit);
                    meta.put(WeightImport.KIND, ModelWeights.Kind.CLASSIFIER.label());
                } else {
                    tensors = HfNames.fromEncoder(whole ? w.encoderTensors() : w.tensors(), vit, "");
                    meta.put(WeightImport.KIND, ModelWeights.Kind.ENCODER.label());
                }
                vit = exported;
                String cfg = Json.pretty(hfConfig(w, vit));
                meta.put("tessera.hf_config", cfg);
                Path sibling = out.toAbsolutePath().getParent().resolve("config.json");
                if (!Files.exists(sibling)) {
                    writeText(sibling, cfg);
                    hfConfig = sibling;
                }
                String cls = w.kind() == ModelWeights.Kind.MAE ? "ViTMAEForPreTraining" : w.kind() == ModelWeights.Kind.CLASSIFIER
                        ? "ViTForImageClassification" : "ViTModel";
                loadWith = "transformers." + cls + ".from_pretrained(DIR" + (cls.equals("ViTModel") ? ", add_pooling_layer=False" : "")
                        + ") with the file named model.safetensors beside config.json";
            }
            default -> throw new IllegalStateException("unreachable");
        }
        meta.put(WeightImport.VIT, Json.compact(vit));
        SafeTensors.write(out, tensors, meta);
        return new Written(out, tensors.size(), loadWith, hfConfig);
    }

    /** The keyword arguments of timm's {@code VisionTransformer} that build exactly this model. */
    static Map<String, Object> timmArgs(ViTConfig v) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("img_size", v.imgSize());
        a.put("patch_size", v.patchSize());
        a.put("in_chans", v.inChans());
        a.put("embed_dim", v.dim());
        a.put("depth", v.depth());
        a.put("num_heads", v.heads());
        a.put("mlp_ratio", v.mlpRatio());
        a.put("qkv_bias", v.qkvBias());
        if (v.layerScaleInit() > 0) a.put("init_values", v.layerScaleInit());
        a.put("num_classes", v.numClasses());
        a.put("global_pool", v.pool() == Pool.AVG ? "avg" : "token");
        return a;
    }

    /** The HF config.json for this model: ViTMAEConfig or ViTConfig fields (layer_norm_eps 1e-6: MAE's, not HF's 1e-12 default). */
    static Map<String, Object> hfConfig(ModelWeights w, ViTConfig v) {
        Map<String, Object> c = new LinkedHashMap<>();
        boolean mae = w.kind() == ModelWeights.Kind.MAE;
        c.put("architectures", List.of(mae ? "ViTMAEForPreTraining" : w.kind() == ModelWeights.Kind.CLASSIFIER ? "ViTForImageClassification" : "ViTModel"));
        c.put("model_type", mae ? "vit_mae" : "vit");
        c.put("hidden_size", v.dim());
        c.put("num_hidden_layers", v.depth());
        c.put("num_attention_heads", v.heads());
        c.put("intermediate_size", v.mlpHidden());
        c.put("hidden_act", "gelu");
        c.put("hidden_dropout_prob", 0.0);
        c.put("attention_probs_dropout_prob", 0.0);
        c.put("layer_norm_eps", 1e-6);
        c.put("image_size", v.imgSize());
        c.put("patch_size", v.patchSize());
        c.put("num_channels", v.inChans());
        c.put("qkv_bias", v.qkvBias());
        if (mae) {
            MaeConfig m = w.spec().maeConfig();
            c.put("decoder_hidden_size", m.decoderDim());
            c.put("decoder_num_hidden_layers", m.decoderDepth());
            c.put("decoder_num_attention_heads", m.decoderHeads());
            c.put("decoder_intermediate_size", (int) (m.decoderDim() * v.mlpRatio()));
            c.put("mask_ratio", m.maskRatio());
            c.put("norm_pix_loss", m.normPixLoss());
        }
        if (w.kind() == ModelWeights.Kind.CLASSIFIER) {
            Map<String, String> id2label = new LinkedHashMap<>();
            Map<String, Integer> label2id = new LinkedHashMap<>();
            for (int i = 0; i < v.numClasses(); i++) {
                id2label.put(Integer.toString(i), "LABEL_" + i);
                label2id.put("LABEL_" + i, i);
            }
            c.put("id2label", id2label);
            c.put("label2id", label2id);
        }
        return c;
    }

    private static void writeText(Path file, String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        AtomicFile.write(file, ch -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }
}
