package dev.tessera.engine.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The content of one safetensors file: tensors in header order and the string→string metadata.
 * {@link #floats()} and {@link #shapes()} feed {@code Module.loadStateDict} directly.
 */
public record SafeTensorsFile(Map<String, TensorData> tensors, Map<String, String> metadata) {
    public SafeTensorsFile {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** The tensor named {@code name}; the error lists how many tensors the file has. */
    public TensorData get(String name) {
        TensorData t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor '" + name + "' among " + tensors.size() + " in the file");
        return t;
    }

    /** The floating tensors' values by name (integer tensors are left out). */
    public Map<String, float[]> floats() {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((n, t) -> {
            if (t.isFloating()) out.put(n, t.floats());
        });
        return out;
    }

    /** Every tensor's shape by name. */
    public Map<String, int[]> shapes() {
        Map<String, int[]> out = new LinkedHashMap<>();
        tensors.forEach((n, t) -> out.put(n, t.shape()));
        return out;
    }
}
