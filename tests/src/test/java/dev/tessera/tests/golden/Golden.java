package dev.tessera.tests.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.io.SafeTensorsFile;
import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One PyTorch golden file (tests/golden/README.md, format tessera-golden-1) and the comparisons the
 * parity tests make against it. Tolerances, per tensor, as the README states:
 * <ul>
 *   <li>outputs and losses: max|a − e| ≤ 1e-5 · max|e| (relative to the tensor's largest value);</li>
 *   <li>gradients: max|a − e| ≤ 1e-4 · max|e|, reporting the worst element; gradients that are zero in exact
 *       arithmetic (config.zero_grad_params) are checked absolutely: max|a| ≤ 1e-6 · the case's largest
 *       gradient;</li>
 *   <li>the 5 AdamW-step losses: 1e-4 relative each; parameters after 5 steps: 1e-3 relative (Adam divides by
 *       √v, which amplifies rounding in elements with tiny gradients — measured by --f64-drift).</li>
 * </ul>
 */
final class Golden {
    static final String FORMAT = "tessera-golden-1";

    final String name;
    final SafeTensorsFile file;
    final JsonNode config;

    private Golden(String name, SafeTensorsFile file, JsonNode config) {
        this.name = name;
        this.file = file;
        this.config = config;
    }

    static Golden load(String caseName) {
        try {
            var url = Golden.class.getResource("/golden/" + caseName + ".safetensors");
            if (url == null) fail("golden file golden/" + caseName + ".safetensors is missing; run tests/golden/make_golden.py");
            SafeTensorsFile f = SafeTensors.read(Path.of(url.toURI()));
            String format = f.metadata().get("format");
            if (!FORMAT.equals(format)) {
                fail("golden format " + FORMAT + " expected (got " + format + "); re-run tests/golden/make_golden.py");
            }
            return new Golden(caseName, f, new ObjectMapper().readTree(f.metadata().get("config")));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    TensorData get(String key) {
        TensorData t = file.tensors().get(key);
        if (t == null) fail(name + ": golden tensor " + key + " not found");
        return t;
    }

    float[] floats(String key) {
        return get(key).floats();
    }

    int[] ints(String key) {
        return get(key).ints();
    }

    Tensor tensor(Backend be, String key) {
        TensorData t = get(key);
        return t.isFloating() ? Tensor.of(be, t.floats(), t.shape()) : Tensor.ofInts(be, t.ints(), t.shape());
    }

    /** The state dict the golden holds: param.* and buffer.* with the prefix stripped. */
    void loadInto(Module model) {
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        file.tensors().forEach((k, t) -> {
            String n = k.startsWith("param.") ? k.substring(6) : k.startsWith("buffer.") ? k.substring(7) : null;
            if (n != null) {
                values.put(n, t.floats());
                shapes.put(n, t.shape());
            }
        });
        model.loadStateDict(values, shapes);
    }

    Set<String> zeroGradParams() {
        Set<String> s = new HashSet<>();
        config.path("zero_grad_params").forEach(n -> s.add(n.asText()));
        return s;
    }

    /** Output / loss check: max|a−e| ≤ 1e-5·max|e| (+1e-7 absolute for all-zero tensors). */
    void assertOutput(String key, float[] actual) {
        assertRelative(key, floats(key), actual, 1e-5);
    }

    /** Every trainable parameter's gradient against grad.<name>. */
    void assertGradients(Module model) {
        Map<String, Parameter> params = model.namedParameters();
        double largest = 0;
        for (String n : params.keySet()) largest = Math.max(largest, maxAbs(floats("grad." + n)));
        Set<String> zero = zeroGradParams();
        int checked = 0;
        for (var e : params.entrySet()) {
            if (!e.getValue().trainable()) continue;
            Tensor g = e.getValue().tensor().grad();
            float[] actual = g == null ? new float[e.getValue().numel()] : g.toArray();
            if (zero.contains(e.getKey())) {
                double m = maxAbs(actual);
                if (m > 1e-6 * largest) fail(name + ": grad." + e.getKey() + " should be 0, max |g| = " + m);
            } else {
                assertRelative("grad." + e.getKey(), floats("grad." + e.getKey()), actual, 1e-4);
            }
            checked++;
        }
        long goldenGrads = file.tensors().keySet().stream().filter(k -> k.startsWith("grad.")).count();
        assertEquals(goldenGrads, checked, name + ": number of trainable parameters vs golden gradients");
    }

    void assertRelative(String key, float[] expected, float[] actual, double tol) {
        if (expected.length != actual.length) fail(name + ": " + key + " has " + actual.length + " values, golden " + expected.length);
        double scale = Math.max(maxAbs(expected), 1e-30);
        int worst = 0;
        double worstErr = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs((double) actual[i] - expected[i]);
            if (!(err <= worstErr) || Double.isNaN(err)) {
                worstErr = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
                worst = i;
            }
        }
        if (worstErr > tol * scale + 1e-7) {
            fail(String.format("%s: %s off by %.3e relative to max|golden| %.3e (tolerance %.0e); worst element %d: "
                    + "golden %.8g, tessera %.8g", name, key, worstErr / scale, scale, tol, worst, expected[worst], actual[worst]));
        }
    }

    static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }
}
