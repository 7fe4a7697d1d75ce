package dev.tessera.interop;

import dev.tessera.engine.io.TensorData;
import dev.tessera.vit.ViTConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tessera's names ↔ Hugging Face transformers' ViT family (models/vit/modeling_vit.py, models/vit_mae/modeling_vit_mae.py;
 * the renaming is convert_vit_mae_to_pytorch.py's):
 * <pre>
 *   Tessera / official MAE                HF ViTModel (ViTMAEForPreTraining: under vit.)
 *   cls_token                             embeddings.cls_token
 *   pos_embed                             embeddings.position_embeddings      (a fixed parameter in ViTMAE)
 *   patch_embed.proj.{weight,bias}        embeddings.patch_embeddings.projection.{weight,bias}
 *   blocks.i.norm1 / norm2                encoder.layer.i.layernorm_before / layernorm_after
 *   blocks.i.attn.qkv  (rows q | k | v)   encoder.layer.i.attention.attention.query / key / value
 *   blocks.i.attn.proj                    encoder.layer.i.attention.output.dense
 *   blocks.i.mlp.fc1 / fc2                encoder.layer.i.intermediate.dense / output.dense
 *   norm                                  layernorm
 *   decoder_embed, mask_token,            decoder.decoder_embed, decoder.mask_token,
 *   decoder_pos_embed, decoder_blocks.i,  decoder.decoder_pos_embed, decoder.decoder_layers.i (same layer names),
 *   decoder_norm, decoder_pred            decoder.decoder_norm, decoder.decoder_pred
 *   head (a cls-pooled classifier)        classifier, with the encoder under vit.   (ViTForImageClassification)
 * </pre>
 * HF's ViT has neither LayerScale nor BEiT biases, so a CAE encoder is written exactly as the plain ViT it equals:
 * γ folded into the Linear before it (γ ⊙ (W x + b) = (diag(γ) W) x + γ ⊙ b) and the key bias written as zeros. A
 * ViTModel's {@code pooler} (a tanh layer on the cls token that HF adds by default) is not part of the encoder:
 * Tessera drops it on import and never writes one (load with {@code add_pooling_layer=False}).
 */
final class HfNames {
    private HfNames() {}

    static final String PATCH = "embeddings.patch_embeddings.projection.weight";
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");
    private static final Pattern DECODER_LAYER = Pattern.compile("^decoder\\.decoder_layers\\.(\\d+)\\.");

    // ================================================================ Tessera → HF

    /** A Tessera ViT encoder (no head) → HF ViTModel names under {@code p} ("" or "vit."). */
    static Map<String, TensorData> fromEncoder(Map<String, TensorData> vit, ViTConfig cfg, String p) {
        Map<String, TensorData> out = new LinkedHashMap<>();
        out.put(p + "embeddings.cls_token", vit.get("cls_token"));
        out.put(p + "embeddings.position_embeddings", vit.get("pos_embed"));
        out.put(p + "embeddings.patch_embeddings.projection.weight", vit.get("patch_embed.proj.weight"));
        out.put(p + "embeddings.patch_embeddings.projection.bias", vit.get("patch_embed.proj.bias"));
        for (int i = 0; i < cfg.depth(); i++) toLayer(vit, "blocks." + i + ".", out, p + "encoder.layer." + i + ".", cfg.dim());
        out.put(p + "layernorm.weight", vit.get("norm.weight"));
        out.put(p + "layernorm.bias", vit.get("norm.bias"));
        return out;
    }

    /** A whole Tessera MAE → ViTMAEForPreTraining names. */
    static Map<String, TensorData> fromMae(Map<String, TensorData> mae, ViTConfig enc, int decoderDim, int decoderDepth) {
        Map<String, TensorData> out = fromEncoder(mae, enc, "vit.");
        out.put("decoder.decoder_embed.weight", mae.get("decoder_embed.weight"));
        out.put("decoder.decoder_embed.bias", mae.get("decoder_embed.bias"));
        out.put("decoder.mask_token", mae.get("mask_token"));
        out.put("decoder.decoder_pos_embed", mae.get("decoder_pos_embed"));
        for (int i = 0; i < decoderDepth; i++) toLayer(mae, "decoder_blocks." + i + ".", out, "decoder.decoder_layers." + i + ".", decoderDim);
        for (String part : List.of("decoder_norm", "decoder_pred")) {
            out.put("decoder." + part + ".weight", mae.get(part + ".weight"));
            out.put("decoder." + part + ".bias", mae.get(part + ".bias"));
        }
        return out;
    }

    /** A cls-pooled Tessera classifier → ViTForImageClassification names. */
    static Map<String, TensorData> fromClassifier(Map<String, TensorData> vit, ViTConfig cfg) {
        Map<String, TensorData> out = fromEncoder(vit, cfg, "vit.");
        out.put("classifier.weight", vit.get("head.weight"));
        out.put("classifier.bias", vit.get("head.bias"));
        return out;
    }

    /** One pre-norm block {@code b} → one ViTLayer {@code l}. */
    private static void toLayer(Map<String, TensorData> t, String b, Map<String, TensorData> out, String l, int d) {
        TensorData w = t.get(b + "attn.qkv.weight");
        TensorData bias = t.get(b + "attn.qkv.bias");
        if (bias == null && t.containsKey(b + "attn.q_bias")) {
            TensorData q = t.get(b + "attn.q_bias");
            bias = HostTensors.cat(b + "attn.q_bias", q, HostTensors.zeros(q.shape()), t.get(b + "attn.v_bias"));
        }
        String[] names = {"query", "key", "value"};
        for (int k = 0; k < 3; k++) {
            out.put(l + "attention.attention." + names[k] + ".weight", HostTensors.rows(w, k * d, (k + 1) * d));
            if (bias != null) out.put(l + "attention.attention." + names[k] + ".bias", HostTensors.rows(bias, k * d, (k + 1) * d));
        }
        TensorData g1 = t.get(b + "gamma_1"), g2 = t.get(b + "gamma_2");
        linear(t, b + "attn.proj", out, l + "attention.output.dense", g1);
        linear(t, b + "mlp.fc1", out, l + "intermediate.dense", null);
        linear(t, b + "mlp.fc2", out, l + "output.dense", g2);
        norm(t, b + "norm1", out, l + "layernorm_before");
        norm(t, b + "norm2", out, l + "layernorm_after");
    }

    private static void linear(Map<String, TensorData> t, String from, Map<String, TensorData> out, String to, TensorData gamma) {
        TensorData w = t.get(from + ".weight"), b = t.get(from + ".bias");
        out.put(to + ".weight", gamma == null ? w : HostTensors.scaleRows(w, gamma));
        out.put(to + ".bias", gamma == null ? b : HostTensors.scaleRows(b, gamma));
    }

    private static void norm(Map<String, TensorData> t, String from, Map<String, TensorData> out, String to) {
        out.put(to + ".weight", t.get(from + ".weight"));
        out.put(to + ".bias", t.get(from + ".bias"));
    }

    // ================================================================ HF → Tessera

    /** Whether {@code names} are HF ViT names (with or without the {@code vit.} prefix). */
    static boolean matches(Map<String, TensorData> t) {
        return t.containsKey(PATCH) || t.containsKey("vit." + PATCH);
    }

    /**
     * HF ViTModel / ViTMAEModel / ViTMAEForPreTraining / ViTForImageClassification tensors → Tessera names (a ViT, or
     * an MAE when the decoder is there). Every HF tensor is used or explained; anything else is refused by name.
     */
    static Map<String, TensorData> toTessera(Map<String, TensorData> hf, String file, List<String> notes) {
        Map<String, TensorData> in = new LinkedHashMap<>(hf);
        String p = in.containsKey("vit." + PATCH) ? "vit." : "";
        Map<String, TensorData> out = new LinkedHashMap<>();
        out.put("cls_token", take(in, p + "embeddings.cls_token", file));
        out.put("pos_embed", take(in, p + "embeddings.position_embeddings", file));
        out.put("patch_embed.proj.weight", take(in, p + PATCH, file));
        out.put("patch_embed.proj.bias", take(in, p + "embeddings.patch_embeddings.projection.bias", file));
        for (int i : indices(in, p, LAYER)) fromLayer(in, p + "encoder.layer." + i + ".", out, "blocks." + i + ".", file);
        out.put("norm.weight", take(in, p + "layernorm.weight", file));
        out.put("norm.bias", take(in, p + "layernorm.bias", file));
        if (in.remove(p + "pooler.dense.weight") != null | in.remove(p + "pooler.dense.bias") != null) {
            notes.add("HF pooler (dense + tanh on the cls token) dropped: it is not part of the encoder");
        }
        if (in.remove(p + "embeddings.mask_token") != null) notes.add("HF ViTModel mask_token (use_mask_token) dropped");
        if (in.containsKey("decoder.decoder_embed.weight")) {
            out.put("decoder_embed.weight", take(in, "decoder.decoder_embed.weight", file));
            out.put("decoder_embed.bias", take(in, "decoder.decoder_embed.bias", file));
            out.put("mask_token", take(in, "decoder.mask_token", file));
            out.put("decoder_pos_embed", take(in, "decoder.decoder_pos_embed", file));
            for (int i : indices(in, "", DECODER_LAYER)) {
                fromLayer(in, "decoder.decoder_layers." + i + ".", out, "decoder_blocks." + i + ".", file);
            }
            for (String part : List.of("decoder_norm", "decoder_pred")) {
                out.put(part + ".weight", take(in, "decoder." + part + ".weight", file));
                out.put(part + ".bias", take(in, "decoder." + part + ".bias", file));
            }
        }
        if (in.containsKey("classifier.weight")) {
            out.put("head.weight", take(in, "classifier.weight", file));
            out.put("head.bias", take(in, "classifier.bias", file));
        }
        if (!in.isEmpty()) {
            throw new IllegalArgumentException(file + ": tensor '" + in.keySet().iterator().next() + "' is not part of an HF ViT, ViTMAE or"
                    + " ViTForImageClassification that Tessera reads (" + in.size() + " such tensors)");
        }
        return out;
    }

    private static void fromLayer(Map<String, TensorData> in, String l, Map<String, TensorData> out, String b, String file) {
        String a = l + "attention.attention.";
        out.put(b + "norm1.weight", take(in, l + "layernorm_before.weight", file));
        out.put(b + "norm1.bias", take(in, l + "layernorm_before.bias", file));
        out.put(b + "attn.qkv.weight", HostTensors.cat(b + "attn.qkv.weight", take(in, a + "query.weight", file),
                take(in, a + "key.weight", file), take(in, a + "value.weight", file)));
        if (in.containsKey(a + "query.bias")) {
            out.put(b + "attn.qkv.bias", HostTensors.cat(b + "attn.qkv.bias", take(in, a + "query.bias", file),
                    take(in, a + "key.bias", file), take(in, a + "value.bias", file)));
        }
        out.put(b + "attn.proj.weight", take(in, l + "attention.output.dense.weight", file));
        out.put(b + "attn.proj.bias", take(in, l + "attention.output.dense.bias", file));
        out.put(b + "norm2.weight", take(in, l + "layernorm_after.weight", file));
        out.put(b + "norm2.bias", take(in, l + "layernorm_after.bias", file));
        out.put(b + "mlp.fc1.weight", take(in, l + "intermediate.dense.weight", file));
        out.put(b + "mlp.fc1.bias", take(in, l + "intermediate.dense.bias", file));
        out.put(b + "mlp.fc2.weight", take(in, l + "output.dense.weight", file));
        out.put(b + "mlp.fc2.bias", take(in, l + "output.dense.bias", file));
    }

    private static TensorData take(Map<String, TensorData> in, String name, String file) {
        TensorData t = in.remove(name);
        if (t == null) throw new IllegalArgumentException(file + ": Hugging Face tensor '" + name + "' is missing");
        return t;
    }

    private static List<Integer> indices(Map<String, TensorData> in, String prefix, Pattern p) {
        TreeSet<Integer> seen = new TreeSet<>();
        for (String n : in.keySet()) {
            if (!n.startsWith(prefix)) continue;
            Matcher m = p.matcher(n.substring(prefix.length()));
            if (m.find()) seen.add(Integer.parseInt(m.group(1)));
        }
        return new ArrayList<>(seen);
    }
}
