package dev.tessera.interop;

import dev.tessera.engine.io.TensorData;
import dev.tessera.eval.EncoderSource;
import dev.tessera.train.ModelSpec;
import dev.tessera.vit.Pool;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.VisionTransformer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's weights in Tessera's names — which are the official ones: {@code models_mae.py} for an MAE, Atten4Vis
 * {@code modeling_cae.py} for a CAE, {@code models_vit.py} / timm for a ViT — with what they are, however the file
 * that held them named them ({@link WeightImport}) and whatever it will be written as ({@link WeightExport}).
 *
 * @param kind        what the tensors make up
 * @param vit         the ViT in it: the encoder of an MAE or CAE, the encoder itself, or the classifier (head, pooling)
 * @param method      the pre-training family of the encoder, "mae" or "cae" (CAE-style encoders keep their position
 *                    table fixed when fine-tuned, and have q/v biases and LayerScale)
 * @param spec        the whole pre-training model when known (always for MAE; for CAE when the file said so), else null
 * @param tensors     every tensor by Tessera name, float32
 * @param description one line naming the file and what was found, for logs and results
 * @param notes       what the reader dropped or assumed (the HF pooler, CAE's alignment_encoder copy, …)
 */
public record ModelWeights(Kind kind, ViTConfig vit, String method, ModelSpec spec, Map<String, TensorData> tensors, String description,
                           List<String> notes) {

    /** What a weight file holds. */
    public enum Kind {
        /** A whole MAE: encoder (top-level names) + decoder ({@code decoder_*}, {@code mask_token}). */
        MAE,
        /** A whole CAE: {@code encoder.*}, {@code regresser.*}, {@code decoder.*}, {@code mask_token}, {@code rd_pos_embed}. */
        CAE,
        /** A ViT encoder alone (the official MAE releases, a timm or HF backbone): no head. */
        ENCODER,
        /** A ViT classifier: an encoder plus {@code head} (and {@code fc_norm} when it pools the patch tokens). */
        CLASSIFIER;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public ModelWeights {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        notes = List.copyOf(notes);
        if (!method.equals("mae") && !method.equals("cae")) throw new IllegalArgumentException("method '" + method + "' is not mae or cae");
    }

    /** The prefix of the encoder's tensors: {@code encoder.} in a CAE, none elsewhere. */
    public String encoderPrefix() {
        return kind == Kind.CAE ? "encoder." : "";
    }

    /** Whether {@code name} (a ViT name, without the encoder prefix) belongs to the encoder rather than a head or decoder. */
    public static boolean isEncoderName(String name) {
        return name.equals("cls_token") || name.equals("pos_embed") || name.startsWith("patch_embed.") || name.startsWith("blocks.")
                || name.startsWith("norm.");
    }

    /** The encoder's tensors under ViT names (prefix removed; decoder, regressor, head and fc_norm left out). */
    public Map<String, TensorData> encoderTensors() {
        Map<String, TensorData> out = new LinkedHashMap<>();
        String p = encoderPrefix();
        tensors.forEach((n, t) -> {
            if (n.startsWith(p) && isEncoderName(n.substring(p.length()))) out.put(n.substring(p.length()), t);
        });
        return out;
    }

    /**
     * The encoder for the evaluation commands and fine-tuning ({@code --init}): the ViT as an encoder (cls pooling,
     * fixed position table, no head). A classifier's {@code head} and {@code fc_norm} are not part of it: fine-tuning
     * starts them fresh, and probes read the final norm, which an average-pooled classifier does not have.
     */
    public EncoderSource encoderSource() {
        ViTConfig encoder = vit.withNumClasses(0).withPool(Pool.CLS).withPosLearnable(false).withDropPath(0);
        return new EncoderSource(encoder, method, encoderTensors(), description);
    }

    /** A trained classifier in memory (after {@code tessera finetune} or {@code train-supervised}), copied to the host. */
    public static ModelWeights ofClassifier(VisionTransformer model, String method, String description) {
        Map<String, TensorData> state = new LinkedHashMap<>();
        model.stateDict().forEach((n, t) -> state.put(n, TensorData.f32(t.toArray(), t.shape())));
        return new ModelWeights(Kind.CLASSIFIER, model.config().withDropPath(0), method, null, state, description, List.of());
    }

    /** Counts of the parameters (values) per part, for the one-line summary the commands print. */
    public long values() {
        long n = 0;
        for (TensorData t : tensors.values()) n += t.numel();
        return n;
    }
}
