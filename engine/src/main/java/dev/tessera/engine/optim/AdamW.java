package dev.tessera.engine.optim;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * AdamW (Loshchilov and Hutter 2019) over a {@link ParameterStore}, numerically torch.optim.AdamW:
 * p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr·m̂/(√v̂ + eps).
 *
 * <p>Per-parameter learning-rate scale and weight-decay switch as MAE's param groups set them (docs/mae.md#pretraining-recipe,
 * docs/mae.md#fine-tuning): the effective lr of a parameter is {@code lr · lrScale(name)}, and its weight decay is
 * {@code weightDecay} or 0 by {@link ParamGroup#decays}. Neighbours with equal settings are merged into one
 * contiguous range, and all ranges with equal settings — weights and biases alternate in a ViT, so there are dozens
 * of ranges but only two settings without layer decay — go to ONE {@link Backend#adamWRanges} call (one kernel
 * launch on a GPU) over a range table uploaded once. The moments m, v are flat persistent buffers laid out like
 * the store.
 *
 * <p>A step is two halves, {@link #prepareStep} (the host: advance t, write each call's constants into its device
 * block, {@link Backend#adamWScalars}) and {@link #applyStep} (the device: the ranged updates, reading those blocks).
 * {@link #step} does both; the trainer's CUDA graph captures {@link #applyStep} once and runs {@link #prepareStep}
 * before every replay, so the graph follows the lr schedule and the bias corrections with the same bytes.
 */
public final class AdamW {

    /**
     * @param extraNoDecay exact names exempt from weight decay on top of the 1-D/".bias" rule
     * @param lrScale      per-parameter lr multiplier (e.g. {@code layerDecay::scale}); 1 for all by default
     */
    public record Config(float beta1, float beta2, float eps, float weightDecay, Set<String> extraNoDecay,
                         ToDoubleFunction<String> lrScale) {
        public Config {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("AdamW: need betas in [0, 1), eps > 0, weight decay >= 0; got betas ("
                        + beta1 + ", " + beta2 + "), eps " + eps + ", weight decay " + weightDecay);
            }
            extraNoDecay = Set.copyOf(extraNoDecay);
        }

        /** MAE pre-training (docs/mae.md#pretraining-recipe): betas (0.9, 0.95), eps 1e-8, no extra exemptions, scale 1. */
        public static Config pretrain(float weightDecay) {
            return new Config(0.9f, 0.95f, 1e-8f, weightDecay, Set.of(), name -> 1.0);
        }

        public Config withBetas(float b1, float b2) {
            return new Config(b1, b2, eps, weightDecay, extraNoDecay, lrScale);
        }

        public Config withEps(float e) {
            return new Config(beta1, beta2, e, weightDecay, extraNoDecay, lrScale);
        }

        public Config withNoDecay(Set<String> names) {
            return new Config(beta1, beta2, eps, weightDecay, names, lrScale);
        }

        public Config withLrScale(ToDoubleFunction<String> scale) {
            return new Config(beta1, beta2, eps, weightDecay, extraNoDecay, scale);
        }
    }

    /** Optimizer state for checkpoints: the step count and both moments per parameter name. */
    public record State(int step, Map<String, float[]> m, Map<String, float[]> v) {}

    private final ParameterStore store;
    private final Config config;
    private final List<ParamGroup> groups;
    private final Buffer m;
    private final Buffer v;
    private final List<Update> updates;
    private int step;

    /**
     * One {@link Backend#adamWRanges} call: the ranges of every group with these settings, as a device table, and the
     * device block of the call's constants ({@link AdamWStep#SCALARS} floats).
     */
    private record Update(double lrScale, boolean decay, Buffer table, int count, Buffer scalars) {}

    /** Allocates the moments (zeros) next to the store; build it outside any StepScope. */
    public AdamW(ParameterStore store, Config config) {
        this.store = store;
        this.config = config;
        this.groups = ParamGroup.of(store, config.extraNoDecay(), config.lrScale());
        this.m = store.backend().allocate(store.size());
        this.v = store.backend().allocate(store.size());
        this.updates = updates(store.backend(), groups);
    }

    /** The groups with equal (lrScale, decay), in first-appearance order, each as one persistent range table. */
    private static List<Update> updates(Backend be, List<ParamGroup> groups) {
        Map<List<Object>, List<ParamGroup>> bySettings = new LinkedHashMap<>();
        for (ParamGroup g : groups) {
            if (g.length() > 0) bySettings.computeIfAbsent(List.of(g.lrScale(), g.decay()), k -> new ArrayList<>()).add(g);
        }
        List<Update> out = new ArrayList<>();
        for (List<ParamGroup> same : bySettings.values()) {
            int count = same.size();
            int[] table = new int[2 * count + 1];
            for (int k = 0; k < count; k++) {
                table[k] = same.get(k).offset();
                table[count + k + 1] = table[count + k] + same.get(k).length();
            }
            Buffer t = be.allocateInts(table.length);
            be.uploadInts(table, t);
            out.add(new Update(same.get(0).lrScale(), same.get(0).decay(), t, count, be.allocate(AdamWStep.SCALARS)));
        }
        return List.copyOf(out);
    }

    /** One update with scheduled learning rate {@code lr} (before per-parameter scaling). */
    public void step(float lr) {
        prepareStep(lr);
        applyStep();
    }

    /** The host half of {@link #step}: t advances and each call's constants for {@code lr} go to the device (no launch). */
    public void prepareStep(float lr) {
        step++;
        Backend be = store.backend();
        for (Update u : updates) {
            AdamWStep s = new AdamWStep((float) (lr * u.lrScale()), config.beta1(), config.beta2(), config.eps(),
                    u.decay() ? config.weightDecay() : 0f, step);
            be.adamWScalars(s, u.scalars());
        }
    }

    /** The device half of {@link #step}: the ranged updates with the constants {@link #prepareStep} wrote last. */
    public void applyStep() {
        Backend be = store.backend();
        for (Update u : updates) be.adamWRanges(store.values(), store.grads(), m, v, u.table(), u.count(), u.scalars());
    }

    /**
     * Whether a step since the last call wrote a NaN or infinity into a moment or a parameter (the backend's
     * fused kernels note it as they update; see {@link Backend#adamWNonFinite}). Clears the record.
     */
    public boolean wroteNonFinite() {
        return store.backend().adamWNonFinite();
    }

    /** Steps taken so far (the t of the bias corrections). */
    public int stepCount() {
        return step;
    }

    public List<ParamGroup> groups() {
        return groups;
    }

    public Config config() {
        return config;
    }

    /** Copies the state to the host. */
    public State state() {
        Map<String, float[]> ms = new LinkedHashMap<>(), vs = new LinkedHashMap<>();
        Backend be = store.backend();
        for (ParameterStore.Entry e : store.entries()) {
            ms.put(e.name(), be.download(m.slice(e.offset(), e.length())));
            vs.put(e.name(), be.download(v.slice(e.offset(), e.length())));
        }
        return new State(step, ms, vs);
    }

    /**
     * Restores a state taken from an optimizer over the same parameters. Every packed parameter must be
     * present with its exact element count, and no unknown names; nothing changes unless all of it checks.
     */
    public void loadState(State state) {
        StringBuilder problems = new StringBuilder();
        for (ParameterStore.Entry e : store.entries()) {
            for (var kind : List.of(Map.entry("m", state.m()), Map.entry("v", state.v()))) {
                float[] a = kind.getValue().get(e.name());
                if (a == null) problems.append("; missing ").append(kind.getKey()).append(" of ").append(e.name());
                else if (a.length != e.length()) {
                    problems.append("; ").append(kind.getKey()).append(" of ").append(e.name()).append(" has ")
                            .append(a.length).append(" elements, parameter has ").append(e.length());
                }
            }
        }
        Set<String> known = new HashSet<>();
        store.entries().forEach(e -> known.add(e.name()));
        for (var map : List.of(state.m(), state.v())) {
            for (String n : map.keySet()) if (!known.contains(n)) problems.append("; unexpected ").append(n);
        }
        if (state.step() < 0) problems.append("; negative step ").append(state.step());
        if (!problems.isEmpty()) throw new IllegalArgumentException("AdamW state:" + problems.substring(1));
        Backend be = store.backend();
        for (ParameterStore.Entry e : store.entries()) {
            be.upload(state.m().get(e.name()), m.slice(e.offset(), e.length()));
            be.upload(state.v().get(e.name()), v.slice(e.offset(), e.length()));
        }
        step = state.step();
    }
}
