package dev.tessera.interop;

import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.Tensor;
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
        model.loadStateDict(values, shapes, freshSet::contains, n -> false);
        return "initialised " + modelName + " from " + w.description() + ": " + source.size() + " tensors loaded"
                + (fresh.isEmpty() ? "" : ", " + fresh.size() + " start fresh (" + parts(fresh) + ")");
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
