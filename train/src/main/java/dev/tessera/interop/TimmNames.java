package dev.tessera.interop;

import dev.tessera.engine.io.TensorData;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tessera's ViT names ↔ timm's {@code VisionTransformer} (timm/models/vision_transformer.py). They are the same names —
 * MAE's models_vit.py is built on timm — except for two BEiT-style pieces CAE's encoder has:
 * <ul>
 *   <li>LayerScale: Tessera {@code blocks.i.gamma_1}/{@code gamma_2} (the BEiT/CAE names) are timm's
 *       {@code blocks.i.ls1.gamma}/{@code ls2.gamma} (timm's {@code checkpoint_filter_fn} maps them the same way for
 *       DeiT-III); timm builds them with {@code init_values} set;</li>
 *   <li>q/v biases: timm has one {@code attn.qkv.bias} [3D]; BEiT's {@code q_bias}, a k bias fixed at zero and
 *       {@code v_bias} are exactly {@code qkv.bias = [q_bias; 0; v_bias]}. (A k bias adds q·b to every score of a
 *       query alike, which the softmax cancels, so its gradient is zero and it stays zero when timm fine-tunes.)</li>
 * </ul>
 * A classifier keeps {@code head} and {@code norm} (global_pool='token') or {@code fc_norm} (global_pool='avg').
 */
final class TimmNames {
    private TimmNames() {}

    private static final Pattern Q_BIAS = Pattern.compile("^(.*attn\\.)q_bias$");
    private static final Pattern LS = Pattern.compile("^(blocks\\.\\d+\\.)ls([12])\\.gamma$");
    private static final Pattern GAMMA = Pattern.compile("^(blocks\\.\\d+\\.)gamma_([12])$");

    /** Tessera ViT tensors → timm VisionTransformer tensors. */
    static Map<String, TensorData> fromVit(Map<String, TensorData> vit) {
        Map<String, TensorData> out = new LinkedHashMap<>();
        vit.forEach((n, t) -> {
            Matcher q = Q_BIAS.matcher(n), g = GAMMA.matcher(n);
            if (q.matches()) {
                TensorData v = vit.get(q.group(1) + "v_bias");
                out.put(q.group(1) + "qkv.bias", HostTensors.cat(n, t, HostTensors.zeros(t.shape()), v));
            } else if (n.endsWith("attn.v_bias")) {
                return;                                          // went into qkv.bias with q_bias
            } else if (g.matches()) {
                out.put(g.group(1) + "ls" + g.group(2) + ".gamma", t);
            } else {
                out.put(n, t);
            }
        });
        return out;
    }

    /** timm VisionTransformer tensors → Tessera ViT names; timm features Tessera lacks are refused by name. */
    static Map<String, TensorData> toVit(Map<String, TensorData> timm, String file, List<String> notes) {
        Map<String, TensorData> out = new LinkedHashMap<>();
        boolean[] layerScale = {false};
        timm.forEach((n, t) -> {
            Matcher ls = LS.matcher(n);
            if (ls.matches()) {
                out.put(ls.group(1) + "gamma_" + ls.group(2), t);
                layerScale[0] = true;
            } else if (n.startsWith("reg_token") || n.contains(".q_norm.") || n.contains(".k_norm.") || n.startsWith("norm_pre.")
                    || n.startsWith("patch_embed.norm.") || n.startsWith("attn_pool.") || n.startsWith("head.fc.")) {
                throw new IllegalArgumentException(file + ": tensor '" + n + "' is a timm feature Tessera's ViT does not have"
                        + " (register tokens, qk-norm, pre-norm, patch-embed norm, attention pooling, an MLP head)");
            } else {
                out.put(n, t);
            }
        });
        if (layerScale[0]) notes.add("timm LayerScale ls1/ls2.gamma read as gamma_1/gamma_2");
        return out;
    }
}
