package dev.tessera.interop;

import dev.tessera.cae.CaeConfig;
import dev.tessera.cae.CaeTarget;
import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.ModelSpec;
import dev.tessera.vit.ViTConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Starts a pre-training model (an MAE or a CAE, as {@code tessera pretrain --init} and {@code reconstruct --init}
 * build it) from imported weights: a whole model of the same method loads completely; an encoder — the official MAE
 * releases hold only the encoder — loads into the model's encoder, and the decoder (and CAE's regressor) start
 * from the model's own initialisation. Every tensor of the file must find its place with its shape, and every
 * encoder tensor of the model must be given, so nothing is silently left random or dropped.
 */
public final class InitWeights {
    private InitWeights() {}

    /**
     * Copies {@code w} into {@code model} ({@code method} "mae" or "cae", named {@code modelName} in messages) and
     * returns one line saying what was loaded and what starts fresh. {@code whole}: the file must hold the whole model
     * (a reconstruction needs the decoder).
     */
    public static String load(Module model, String method, String modelName, ModelWeights w, boolean whole) {
        String encoderPrefix = method.equals("cae") ? "encoder." : "";
        Map<String, TensorData> source = new LinkedHashMap<>();
        boolean full = w.kind() == ModelWeights.Kind.MAE || w.kind() == ModelWeights.Kind.CAE;
        if (full) {
            if (!w.kind().label().equals(method)) {
                throw new IllegalArgumentException(w.description() + " is a whole " + w.kind().name() + "; it cannot start " + modelName
                        + " (use its encoder through a file that holds only the encoder, or pre-train with the same method)");
            }
            source.putAll(w.tensors());
        } else {
            if (whole) throw new IllegalArgumentException(w.description() + " holds only " + (w.kind() == ModelWeights.Kind.ENCODER
                    ? "an encoder" : "a classifier") + "; " + modelName + " needs its decoder too");
            w.encoderTensors().forEach((n, t) -> source.put(encoderPrefix + n, t));
        }
        Map<String, Tensor> mine = model.stateDict();
        for (var e : source.entrySet()) {
            Tensor target = mine.get(e.getKey());
            if (target == null) {
                throw new IllegalArgumentException(w.description() + ": tensor '" + e.getKey() + "' " + Shape.str(e.getValue().shape())
                        + " has no place in " + modelName);
            }
            if (!Arrays.equals(target.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException(w.description() + ": tensor '" + e.getKey() + "' is " + Shape.str(e.getValue().shape())
                        + " in the file but " + Shape.str(target.shape()) + " in " + modelName);
            }
        }
        List<String> fresh = new ArrayList<>();
        for (String n : mine.keySet()) {
            if (source.containsKey(n)) continue;
            boolean encoder = n.startsWith(encoderPrefix) && ModelWeights.isEncoderName(n.substring(encoderPrefix.length()));
            if (full || encoder) {
                throw new IllegalArgumentException(w.description() + " lacks tensor '" + n + "' " + Shape.str(mine.get(n).shape()) + " of " + modelName);
            }
            fresh.add(n);
        }
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        source.forEach((n, t) -> {
            values.put(n, t.floats());
            shapes.put(n, t.shape());
        });
        Set<String> freshSet = Set.copyOf(fresh);
        try {
            model.loadStateDict(values, shapes, freshSet::contains, n -> false);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(w.description() + ": " + e.getMessage(), e);
        }
        return "initialised " + modelName + " from " + w.description() + ": " + source.size() + " tensors loaded"
                + (fresh.isEmpty() ? "" : ", " + fresh.size() + " start fresh (" + parts(fresh) + ")");
    }

    /**
     * The model that {@code pretrain METHOD --init FILE} continues when no {@code --model} is given: the file's own model
     * when it holds a whole model of this method, else the {@code method} preset whose encoder is exactly the file's (the
     * official {@code mae_pretrain_vit_base.pth} → {@code mae-vit-base-patch16}).
     */
    public static ModelSpec modelFor(ModelWeights w, String method) {
        if (w.spec() != null && w.spec().method().equals(method)) return w.spec();
        ViTConfig v = w.vit();
        if (method.equals("mae")) {
            for (String n : MaeConfig.presetNames()) if (sameEncoder(MaeConfig.preset(n).encoder(), v)) return ModelSpec.of(MaeConfig.preset(n));
        } else {
            for (String n : CaeConfig.presetNames()) {
                CaeConfig c = CaeConfig.preset(n);
                if (sameEncoder(c.encoder(), v) && c.target() == CaeTarget.PIXELS) return ModelSpec.of(c, null);
            }
        }
        throw new IllegalArgumentException("no " + method.toUpperCase(java.util.Locale.ROOT) + " preset has the encoder of " + w.description()
                + " (" + v.describe() + "); name the model with --model PRESET");
    }

    private static boolean sameEncoder(ViTConfig a, ViTConfig b) {
        return a.imgSize() == b.imgSize() && a.patchSize() == b.patchSize() && a.inChans() == b.inChans() && a.dim() == b.dim()
                && a.depth() == b.depth() && a.heads() == b.heads() && a.mlpHidden() == b.mlpHidden() && a.qkvBias() == b.qkvBias()
                && a.qvBias() == b.qvBias() && (a.layerScaleInit() > 0) == (b.layerScaleInit() > 0);
    }

    /** The top-level parts of {@code names}: decoder_blocks, decoder_embed, mask_token … */
    private static String parts(List<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            String top = n.contains(".") ? n.substring(0, n.indexOf('.')) : n;
            if (!out.contains(top)) out.add(top);
        }
        return String.join(", ", out);
    }
}
