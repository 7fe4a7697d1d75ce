package dev.tessera.engine.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * A contiguous range of the flat parameter store whose parameters share one learning-rate scale and one
 * weight-decay switch: the unit of one fused optimizer call. Built by merging neighbours in store order,
 * so a ViT's hundreds of parameters become a few dozen ranges (torch's "param groups", but contiguous).
 *
 * @param offset  first element in {@link ParameterStore#values()}
 * @param length  number of elements
 * @param lrScale multiplier on the scheduled lr (layer decay, docs/mae.md#fine-tuning); 1 otherwise
 * @param decay   whether weight decay applies
 * @param names   the parameters covered, in order
 */
public record ParamGroup(int offset, int length, double lrScale, boolean decay, List<String> names) {
    public ParamGroup {
        names = List.copyOf(names);
    }

    /**
     * timm 0.3.2's rule as MAE uses it (docs/mae.md#pretraining-recipe): no weight decay for 1-D parameters (norm weights,
     * biases) and for names ending in ".bias"; everything else — including the 3-D cls_token and
     * mask_token — is decayed. {@code extraNoDecay} adds exact names (fine-tuning exempts pos_embed and
     * cls_token, docs/mae.md#fine-tuning).
     */
    public static boolean decays(String name, int rank, Set<String> extraNoDecay) {
        return rank != 1 && !name.endsWith(".bias") && !extraNoDecay.contains(name);
    }

    /** Groups of {@code store}: neighbours with equal (lrScale, decay) merged. */
    static List<ParamGroup> of(ParameterStore store, Set<String> extraNoDecay, ToDoubleFunction<String> lrScale) {
        List<ParamGroup> out = new ArrayList<>();
        int start = 0, length = 0;
        double scale = Double.NaN;
        boolean decay = false;
        List<String> names = new ArrayList<>();
        for (ParameterStore.Entry e : store.entries()) {
            double s = lrScale.applyAsDouble(e.name());
            if (!(s >= 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("lr scale of " + e.name() + " must be finite and >= 0, got " + s);
            }
            boolean d = decays(e.name(), e.rank(), extraNoDecay);
            if (!names.isEmpty() && (s != scale || d != decay)) {
                out.add(new ParamGroup(start, length, scale, decay, names));
                names = new ArrayList<>();
            }
            if (names.isEmpty()) {
                start = e.offset();
                length = 0;
                scale = s;
                decay = d;
            }
            names.add(e.name());
            length += e.length();
        }
        if (!names.isEmpty()) out.add(new ParamGroup(start, length, scale, decay, names));
        return Collections.unmodifiableList(out);
    }
}
