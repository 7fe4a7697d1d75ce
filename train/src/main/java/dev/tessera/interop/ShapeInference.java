package dev.tessera.interop;

import dev.tessera.cae.CaeConfig;
import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.mae.MaeConfig;
import dev.tessera.vit.Pool;
import dev.tessera.vit.PosEmbed2d;
import dev.tessera.vit.ViTConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's configuration read off its tensors' shapes (Tessera names), then every tensor checked against that
 * configuration, so a file that does not fit fails here naming the tensor, the expected and the found shape.
 *
 * <pre>
 *   patch_embed.proj.weight [D, C, p, p]   width, channels, patch size
 *   pos_embed [1, 1+L, D]                  L = G² patches, image = G·p
 *   blocks.i.*                             depth = the number of i;  mlp.fc1.weight [H, D]: mlp ratio H/D
 *   attn.qkv.bias / attn.q_bias            timm bias / BEiT q,v bias (neither: no bias);  gamma_1: LayerScale
 *   head.weight [K, D]; fc_norm / norm     a classifier of K classes pooling the patch tokens / the cls token
 *   decoder_embed.weight [Dd, D]; decoder_blocks.i    an MAE decoder
 * </pre>
 * The one thing shapes cannot tell is the number of attention heads (D = 768 splits into 12 heads or 6 alike). It
 * comes from the caller (an option, the file's metadata, an HF config.json) or from a Tessera preset of exactly
 * these shapes; otherwise the error says how to give it.
 */
final class ShapeInference {
    private ShapeInference() {}

    private static final Pattern BLOCK = Pattern.compile("^blocks\\.(\\d+)\\.");
    private static final Pattern DECODER_BLOCK = Pattern.compile("^decoder_blocks\\.(\\d+)\\.");

    /** The ViT under {@code prefix} ("" or "encoder."): an encoder, or a classifier when it has a head. */
    static ViTConfig vit(Map<String, TensorData> t, String prefix, Integer heads, String file) {
        int[] pe = shape(t, prefix + "patch_embed.proj.weight", 4, file);
        int d = pe[0], c = pe[1], p = pe[2];
        if (pe[3] != p) throw mismatch(file, prefix + "patch_embed.proj.weight", "square patches [D, C, p, p]", pe);
        int[] pos = shape(t, prefix + "pos_embed", 3, file);
        int l = pos[1] - 1, g = (int) Math.round(Math.sqrt(l));
        if (pos[0] != 1 || pos[2] != d || l < 1 || g * g != l) {
            throw mismatch(file, prefix + "pos_embed", "[1, 1 + G², " + d + "] (a cls row and a square grid)", pos);
        }
        int depth = count(t, prefix, BLOCK, file);
        if (depth == 0) throw new IllegalArgumentException(file + ": no transformer blocks (" + prefix + "blocks.0.*)");
        int[] fc1 = shape(t, prefix + "blocks.0.mlp.fc1.weight", 2, file);
        boolean qkvBias = t.containsKey(prefix + "blocks.0.attn.qkv.bias"), qvBias = t.containsKey(prefix + "blocks.0.attn.q_bias");
        boolean layerScale = t.containsKey(prefix + "blocks.0.gamma_1");
        int classes = t.containsKey(prefix + "head.weight") ? shape(t, prefix + "head.weight", 2, file)[0] : 0;
        boolean fcNorm = t.containsKey(prefix + "fc_norm.weight");
        if (fcNorm && t.containsKey(prefix + "norm.weight")) {
            throw new IllegalArgumentException(file + ": both norm and fc_norm: a ViT pools either the cls token (norm) or the patch tokens (fc_norm)");
        }
        int h = heads != null ? heads : presetHeads(g * p, p, c, d, depth, fc1[0], file);
        if (h < 1 || d % h != 0) throw new IllegalArgumentException(file + ": " + h + " attention heads do not divide the width " + d);
        ViTConfig cfg = ViTConfig.of(g * p, p, c, d, depth, h).withMlpRatio(fc1[0] / (double) d).withNumClasses(classes)
                .withPool(fcNorm ? Pool.AVG : Pool.CLS).withPosLearnable(classes > 0)
                .withPosOrder(qvBias || layerScale ? PosEmbed2d.Order.CAE : PosEmbed2d.Order.MAE);
        cfg = qvBias ? cfg.withQvBias(true) : qkvBias ? cfg : cfg.withoutQkvBias();
        if (layerScale) cfg = cfg.withLayerScale(0.1);         // only the init value; the loaded γ replace it
        if (cfg.mlpHidden() != fc1[0]) throw mismatch(file, prefix + "blocks.0.mlp.fc1.weight", "[H, " + d + "]", fc1);
        return cfg;
    }

    /** The MAE of a models_mae.py state dict: the encoder ({@link #vit}) and the decoder. */
    static MaeConfig mae(Map<String, TensorData> t, Integer heads, Integer decoderHeads, String file) {
        ViTConfig enc = vit(t, "", heads, file);
        int[] embed = shape(t, "decoder_embed.weight", 2, file);
        int dd = embed[0];
        int depth = count(t, "", DECODER_BLOCK, file);
        int[] fc1 = shape(t, depth > 0 ? "decoder_blocks.0.mlp.fc1.weight" : "decoder_embed.weight", 2, file);
        if (depth > 0 && fc1[0] != (int) (dd * enc.mlpRatio())) {
            throw mismatch(file, "decoder_blocks.0.mlp.fc1.weight", "[" + (int) (dd * enc.mlpRatio()) + ", " + dd
                    + "] (models_mae.py gives the decoder the encoder's mlp ratio)", fc1);
        }
        MaeConfig preset = maePreset(enc, dd, depth);
        int dh = decoderHeads != null ? decoderHeads : preset != null ? preset.decoderHeads() : -1;
        if (dh < 1) {
            throw new IllegalArgumentException(file + ": cannot tell the decoder's number of attention heads from its shapes (width " + dd
                    + ", " + depth + " blocks) and no Tessera preset has them; give it (--heads ENC,DEC)");
        }
        MaeConfig cfg = preset != null && preset.decoderHeads() == dh && preset.encoder().heads() == enc.heads()
                ? preset : MaeConfig.of(enc, dd, depth, dh).withName("imported").withNormPixLoss(true);
        return cfg;
    }

    // ================================================================ checking every tensor

    /**
     * Every tensor of the ViT under {@code prefix} has the shape {@code cfg} gives its name, and every name under
     * {@code prefix} is one {@code cfg} has; {@code decoder} adds MAE's decoder names. The first problem is the message.
     */
    static void check(Map<String, TensorData> t, String prefix, ViTConfig cfg, MaeConfig decoder, String file) {
        List<String> missing = new ArrayList<>();
        Map<String, int[]> want = expected(cfg, decoder);
        for (var e : want.entrySet()) {
            TensorData have = t.get(prefix + e.getKey());
            if (have == null) missing.add(prefix + e.getKey());
            else if (!Arrays.equals(have.shape(), e.getValue())) throw mismatch(file, prefix + e.getKey(), Shape.str(e.getValue()), have.shape());
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(file + ": tensors missing for " + cfg.describe() + ": " + String.join(", ",
                    missing.subList(0, Math.min(6, missing.size()))) + (missing.size() > 6 ? " … (" + missing.size() + " in all)" : ""));
        }
        for (String n : t.keySet()) {
            if (n.startsWith(prefix) && !want.containsKey(n.substring(prefix.length()))) {
                throw new IllegalArgumentException(file + ": tensor '" + n + "' " + Shape.str(t.get(n).shape()) + " has no place in "
                        + (decoder != null ? "an MAE" : "a ViT") + " of " + cfg.describe());
            }
        }
    }

    /** Every tensor name of a ViT (and an MAE decoder) with its shape. */
    static Map<String, int[]> expected(ViTConfig c, MaeConfig decoder) {
        Map<String, int[]> m = new java.util.LinkedHashMap<>();
        int d = c.dim();
        m.put("cls_token", new int[] {1, 1, d});
        m.put("pos_embed", new int[] {1, 1 + c.numPatches(), d});
        m.put("patch_embed.proj.weight", new int[] {d, c.inChans(), c.patchSize(), c.patchSize()});
        m.put("patch_embed.proj.bias", new int[] {d});
        for (int i = 0; i < c.depth(); i++) block(m, "blocks." + i + ".", d, c.mlpHidden(), c.qkvBias(), c.qvBias(), c.layerScaleInit() > 0);
        if (c.pool() == Pool.AVG) {
            m.put("fc_norm.weight", new int[] {d});
            m.put("fc_norm.bias", new int[] {d});
        } else {
            m.put("norm.weight", new int[] {d});
            m.put("norm.bias", new int[] {d});
        }
        if (c.numClasses() > 0) {
            m.put("head.weight", new int[] {c.numClasses(), d});
            m.put("head.bias", new int[] {c.numClasses()});
        }
        if (decoder != null) {
            int dd = decoder.decoderDim();
            m.put("decoder_embed.weight", new int[] {dd, d});
            m.put("decoder_embed.bias", new int[] {dd});
            m.put("mask_token", new int[] {1, 1, dd});
            m.put("decoder_pos_embed", new int[] {1, 1 + c.numPatches(), dd});
            for (int i = 0; i < decoder.decoderDepth(); i++) block(m, "decoder_blocks." + i + ".", dd, (int) (dd * c.mlpRatio()), true, false, false);
            m.put("decoder_norm.weight", new int[] {dd});
            m.put("decoder_norm.bias", new int[] {dd});
            m.put("decoder_pred.weight", new int[] {c.patchDim(), dd});
            m.put("decoder_pred.bias", new int[] {c.patchDim()});
        }
        return m;
    }

    private static void block(Map<String, int[]> m, String b, int d, int hidden, boolean qkvBias, boolean qvBias, boolean layerScale) {
        m.put(b + "norm1.weight", new int[] {d});
        m.put(b + "norm1.bias", new int[] {d});
        m.put(b + "attn.qkv.weight", new int[] {3 * d, d});
        if (qkvBias) m.put(b + "attn.qkv.bias", new int[] {3 * d});
        if (qvBias) {
            m.put(b + "attn.q_bias", new int[] {d});
            m.put(b + "attn.v_bias", new int[] {d});
        }
        m.put(b + "attn.proj.weight", new int[] {d, d});
        m.put(b + "attn.proj.bias", new int[] {d});
        m.put(b + "norm2.weight", new int[] {d});
        m.put(b + "norm2.bias", new int[] {d});
        m.put(b + "mlp.fc1.weight", new int[] {hidden, d});
        m.put(b + "mlp.fc1.bias", new int[] {hidden});
        m.put(b + "mlp.fc2.weight", new int[] {d, hidden});
        m.put(b + "mlp.fc2.bias", new int[] {d});
        if (layerScale) {
            m.put(b + "gamma_1", new int[] {d});
            m.put(b + "gamma_2", new int[] {d});
        }
    }

    // ================================================================ presets: where the head counts come from

    /** The heads of a Tessera preset (ViT, MAE or CAE encoder) of exactly these shapes. */
    private static int presetHeads(int img, int p, int c, int d, int depth, int hidden, String file) {
        TreeSet<Integer> found = new TreeSet<>();
        List<ViTConfig> all = new ArrayList<>();
        for (String n : ViTConfig.presetNames()) all.add(ViTConfig.preset(n));
        for (String n : MaeConfig.presetNames()) all.add(MaeConfig.preset(n).encoder());
        for (String n : CaeConfig.presetNames()) all.add(CaeConfig.preset(n).encoder());
        for (ViTConfig v : all) {
            if (v.imgSize() == img && v.patchSize() == p && v.inChans() == c && v.dim() == d && v.depth() == depth && v.mlpHidden() == hidden) {
                found.add(v.heads());
            }
        }
        if (found.size() == 1) return found.first();
        throw new IllegalArgumentException(file + ": cannot tell the number of attention heads from the shapes (width " + d + ", depth "
                + depth + ", " + img + "×" + img + "×" + c + " images, patch " + p + ") and no Tessera preset has exactly them;"
                + " give it (--heads N, or --heads ENC,DEC for an MAE)");
    }

    private static MaeConfig maePreset(ViTConfig enc, int dd, int depth) {
        for (String n : MaeConfig.presetNames()) {
            MaeConfig m = MaeConfig.preset(n);
            ViTConfig e = m.encoder();
            if (e.imgSize() == enc.imgSize() && e.patchSize() == enc.patchSize() && e.inChans() == enc.inChans() && e.dim() == enc.dim()
                    && e.depth() == enc.depth() && e.mlpHidden() == enc.mlpHidden() && m.decoderDim() == dd && m.decoderDepth() == depth) {
                return m;
            }
        }
        return null;
    }

    // ================================================================ helpers

    private static int count(Map<String, TensorData> t, String prefix, Pattern p, String file) {
        TreeSet<Integer> seen = new TreeSet<>();
        for (String n : t.keySet()) {
            if (!n.startsWith(prefix)) continue;
            Matcher m = p.matcher(n.substring(prefix.length()));
            if (m.find()) seen.add(Integer.parseInt(m.group(1)));
        }
        if (!seen.isEmpty() && (seen.first() != 0 || seen.last() != seen.size() - 1)) {
            throw new IllegalArgumentException(file + ": block numbers " + seen + " are not 0.." + (seen.size() - 1));
        }
        return seen.size();
    }

    private static int[] shape(Map<String, TensorData> t, String name, int rank, String file) {
        TensorData x = t.get(name);
        if (x == null) throw new IllegalArgumentException(file + ": tensor '" + name + "' is missing");
        int[] s = x.shape();
        if (s.length != rank) throw mismatch(file, name, rank + " dimensions", s);
        return s;
    }

    static IllegalArgumentException mismatch(String file, String name, String expected, int[] found) {
        return new IllegalArgumentException(file + ": tensor '" + name + "' is " + Shape.str(found) + ", expected " + expected);
    }
}
