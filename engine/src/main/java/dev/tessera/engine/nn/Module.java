package dev.tessera.engine.nn;

import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A node of the model tree with timm-style dotted names: a child registered as "blocks.0" whose child
 * "attn" has parameter "qkv.weight" is reachable as {@code blocks.0.attn.qkv.weight} — the same key as in
 * the official PyTorch checkpoints, so safetensors files load by name.
 *
 * <p>Subclasses register children, parameters and fixed buffers (position tables) in their constructor, in
 * the order PyTorch would, and define their own forward methods. Registration order is the iteration order
 * everywhere (state dicts, parameter tables, the flat parameter store).
 */
public abstract class Module {
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a child module under {@code name} and returns it. */
    protected final <M extends Module> M module(String name, M child) {
        checkName(name);
        children.put(name, child);
        return child;
    }

    /** Registers a trainable parameter initialised to {@code init} (which becomes its storage). */
    protected final Parameter parameter(String name, Tensor init) {
        checkName(name);
        Parameter p = new Parameter(init);
        params.put(name, p);
        return p;
    }

    /** Registers a fixed tensor that is saved and loaded with the model but never trained (sin-cos tables). */
    protected final Tensor buffer(String name, Tensor value) {
        checkName(name);
        buffers.put(name, value);
        return value;
    }

    private void checkName(String name) {
        if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name '" + name + "' registered twice");
        }
    }

    /** Every parameter of this tree, trainable or frozen, by dotted name in registration order. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collectParameters("", out);
        return out;
    }

    private void collectParameters(String prefix, Map<String, Parameter> out) {
        params.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, c) -> c.collectParameters(prefix + n + ".", out));
    }

    /** Every fixed buffer of this tree by dotted name. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectBuffers("", out);
        return out;
    }

    private void collectBuffers(String prefix, Map<String, Tensor> out) {
        buffers.forEach((n, b) -> out.put(prefix + n, b));
        children.forEach((n, c) -> c.collectBuffers(prefix + n + ".", out));
    }

    /** Direct children by name (for per-part parameter tables). */
    public final Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    /** Parameters then buffers, by dotted name: what a checkpoint holds. */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((n, p) -> out.put(n, p.tensor()));
        out.putAll(namedBuffers());
        return out;
    }

    /**
     * Copies values by name into this model's parameters and buffers. Every shape must match exactly.
     * Keys of the model missing from {@code state} are an error unless {@code allowMissing} accepts them
     * (e.g. {@code n -> n.startsWith("head.")} to load a pretrained encoder into a classifier); keys of
     * {@code state} unknown to the model are an error unless {@code ignoreUnexpected} accepts them.
     * The error lists every problem at once. Nothing is copied unless everything checks.
     */
    public final void loadStateDict(Map<String, float[]> state, Map<String, int[]> shapes,
                                    Predicate<String> allowMissing, Predicate<String> ignoreUnexpected) {
        Map<String, Tensor> mine = stateDict();
        List<String> problems = new ArrayList<>();
        for (var e : mine.entrySet()) {
            String n = e.getKey();
            if (!state.containsKey(n)) {
                if (!allowMissing.test(n)) problems.add("missing " + n + " " + Shape.str(e.getValue().shape()));
            } else if (!Arrays.equals(shapes.get(n), e.getValue().shape())) {
                problems.add("shape of " + n + ": checkpoint " + Shape.str(shapes.get(n)) + ", model "
                        + Shape.str(e.getValue().shape()));
            }
        }
        for (String n : state.keySet()) {
            if (!mine.containsKey(n) && !ignoreUnexpected.test(n)) problems.add("unexpected " + n + " " + Shape.str(shapes.get(n)));
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("state dict does not fit " + getClass().getSimpleName() + " ("
                    + problems.size() + " problems): " + String.join("; ", problems));
        }
        for (var e : mine.entrySet()) {
            float[] v = state.get(e.getKey());
            if (v != null) e.getValue().copyFrom(v);
        }
    }

    /** Strict load: every key must be present in both and every shape equal. */
    public final void loadStateDict(Map<String, float[]> state, Map<String, int[]> shapes) {
        loadStateDict(state, shapes, n -> false, n -> false);
    }

    /** Training mode (dropout, drop-path active) for this module and all children. */
    public void train(boolean on) {
        training = on;
        children.values().forEach(c -> c.train(on));
    }

    public final boolean isTraining() {
        return training;
    }

    /** Number of elements over all parameters, trainable or not. */
    public final long parameterCount(boolean trainableOnly) {
        long n = 0;
        for (Parameter p : namedParameters().values()) if (!trainableOnly || p.trainable()) n += p.numel();
        return n;
    }
}
