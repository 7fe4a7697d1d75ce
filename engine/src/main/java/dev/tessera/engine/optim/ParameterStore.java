package dev.tessera.engine.optim;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.tensor.internal.TensorInternals;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All trainable parameters of a model in ONE flat value buffer and ONE flat gradient buffer (llm.c's
 * {@code malloc_and_point_parameters}; one flat buffer holds every parameter, so an optimizer step is one pass). After packing, each parameter tensor's storage
 * is a slice of {@link #values()} and its gradient a slice of {@link #grads()}, so the fused AdamW kernel
 * covers many parameters per launch, zeroing gradients is one fill and "all gradients" is one buffer to
 * compare or clip.
 *
 * <p>Layout: trainable parameters in {@link Module#namedParameters()} order, back to back. Frozen
 * parameters (linear probing's encoder, the position tables) are not packed and keep their storage; freeze
 * before packing. Build the store outside any {@code StepScope}: its buffers must persist across steps.
 * Backward accumulates into the packed gradients, so call {@link #zeroGrad()} once per optimizer step
 * (after the last micro-batch of gradient accumulation).
 */
public final class ParameterStore {

    /** One packed parameter: elements [offset, offset + length) of both flat buffers. */
    public record Entry(String name, Parameter parameter, int offset, int length, int[] shape) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        public int rank() {
            return shape.length;
        }
    }

    private final Backend backend;
    private final Buffer values;
    private final Buffer grads;
    private final List<Entry> entries;
    private final Tensor[] gradViews;
    private final Map<String, Entry> byName = new LinkedHashMap<>();

    /** Packs {@code model}'s trainable parameters; their current values are copied in. */
    public ParameterStore(Backend backend, Module model) {
        this.backend = backend;
        List<Entry> list = new ArrayList<>();
        Map<Tensor, String> seen = new IdentityHashMap<>();
        long total = 0;
        for (var e : model.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            if (!p.trainable()) continue;
            Tensor t = p.tensor();
            if (t.backend() != backend) {
                throw new IllegalArgumentException("ParameterStore: parameter " + e.getKey() + " lives on "
                        + t.backend().name() + ", not on " + backend.name());
            }
            String other = seen.put(t, e.getKey());
            if (other != null) {
                throw new IllegalArgumentException("ParameterStore: " + e.getKey() + " and " + other
                        + " are the same tensor; shared parameters cannot be packed twice");
            }
            list.add(new Entry(e.getKey(), p, (int) total, t.numel(), t.shape()));
            total += t.numel();
            if (total > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("ParameterStore: " + total + " trainable elements exceed one buffer (2^31-1)");
            }
        }
        this.values = backend.allocate((int) total);
        this.grads = backend.allocate((int) total);
        this.gradViews = new Tensor[list.size()];
        for (int i = 0; i < list.size(); i++) {
            Entry en = list.get(i);
            Tensor t = en.parameter().tensor();
            int[] shape = t.shape();
            Buffer valueSlice = values.slice(en.offset(), en.length());
            if (en.length() > 0) {
                backend.copyStrided(t.buffer(), t.strides(), valueSlice, Shape.contiguousStrides(shape), shape, false);
            }
            TensorInternals.rebind(t, valueSlice);
            gradViews[i] = TensorInternals.wrap(backend, grads.slice(en.offset(), en.length()), shape);
            TensorInternals.setGrad(t, gradViews[i]);
            byName.put(en.name(), en);
        }
        this.entries = Collections.unmodifiableList(list);
    }

    public Backend backend() {
        return backend;
    }

    /** The flat parameter values (every packed parameter's storage is a slice of it). */
    public Buffer values() {
        return values;
    }

    /** The flat gradients, laid out like {@link #values()}. */
    public Buffer grads() {
        return grads;
    }

    /** Total number of packed elements. */
    public int size() {
        return values.length();
    }

    /** Packed parameters in layout order. */
    public List<Entry> entries() {
        return entries;
    }

    /** The entry of a packed parameter by dotted name. */
    public Entry entry(String name) {
        Entry e = byName.get(name);
        if (e == null) throw new IllegalArgumentException("ParameterStore: no packed parameter named '" + name
                    + "' (absent, or frozen: frozen parameters are not packed)");
        return e;
    }

    /** Sets every gradient to zero: one fill over the flat gradient buffer. */
    public void zeroGrad() {
        backend.fill(grads, 0f);
    }

    /**
     * Re-points any parameter gradient that was detached from the store (e.g. by {@code Tensor.clearGrad()})
     * back at its slice of {@link #grads()}. Cheap; a trainer may call it before each step.
     */
    public void reattachGrads() {
        for (int i = 0; i < entries.size(); i++) {
            Tensor t = entries.get(i).parameter().tensor();
            if (t.grad() != gradViews[i]) TensorInternals.setGrad(t, gradViews[i]);
        }
    }
}
