package dev.tessera.tests.dalle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.cae.DalleConfig;
import dev.tessera.cae.DalleEncoder;
import dev.tessera.cae.DalleWeights;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.io.SafeTensorsFile;
import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The DALL-E tokenizer's encoder against PyTorch ({@code tests/golden/make_dalle.py}, written from openai/DALL-E's
 * {@code dall_e/encoder.py} and {@code dall_e/utils.py}): random weights with non-zero biases, n_hid 8, two blocks
 * per group, 64 ids, two 32×32 images. Logits must agree within 1e-4 and the token ids exactly (the generator checks
 * that every cell's two best logits are at least 1e-3 apart, so an exact match is a fair demand).
 */
class DalleEncoderGoldenTest {
    static final CpuBackend BE = new CpuBackend(2);

    @AfterAll
    static void close() {
        BE.close();
    }

    static Path resource(String name) {
        try {
            return Path.of(DalleEncoderGoldenTest.class.getResource("/golden/" + name).toURI());
        } catch (Exception e) {
            throw new IllegalStateException("missing test resource golden/" + name + " (run tests/golden/make_dalle.py)", e);
        }
    }

    static SafeTensorsFile golden() {
        return SafeTensors.read(resource("dalle_encoder.safetensors"));
    }

    /** The golden's weights as a state dict (the prefix {@code param.} removed). */
    static Path stateDictFile(SafeTensorsFile g) throws Exception {
        Map<String, TensorData> sd = new LinkedHashMap<>();
        g.tensors().forEach((k, v) -> {
            if (k.startsWith("param.")) sd.put(k.substring("param.".length()), v);
        });
        Path f = java.nio.file.Files.createTempDirectory("dalle").resolve("encoder.safetensors");
        SafeTensors.write(f, sd, Map.of());
        return f;
    }

    static void assertMatches(DalleEncoder enc, SafeTensorsFile g, Backend be) {
        TensorData x = g.get("in.x");
        Tensor input = Tensor.of(be, x.floats(), x.shape());
        float[] logits = enc.forward(input).toArray(), expected = g.get("out.logits").floats();
        assertEquals(expected.length, logits.length);
        double worst = 0;
        for (int i = 0; i < logits.length; i++) worst = Math.max(worst, Math.abs(logits[i] - expected[i]));
        assertTrue(worst <= 1e-4, "logits differ from PyTorch by up to " + worst);
        int[] tokens = enc.tokens(input).toIntArray(), want = g.get("out.tokens").ints();
        assertArrayEquals(want, tokens, "token ids");
    }

    /** The comparison on {@code be}: {@link DalleOnCudaTest} runs it on the GPU. */
    static void check(Backend be) throws Exception {
        SafeTensorsFile g = golden();
        DalleEncoder enc = DalleWeights.load(be, stateDictFile(g));
        assertEquals(new DalleConfig(8, 2, 3, 64), enc.config());
        assertMatches(enc, g, be);
    }

    @Test
    void logitsAndTokenIdsMatchPyTorchFromAStateDict() throws Exception {
        check(BE);
    }

    @Test
    void thePickledModuleLoadsWithoutRunningPython() {
        // torch.save of the whole Encoder under the official class names, as the released encoder.pkl is.
        DalleEncoder enc = DalleWeights.load(BE, resource("dalle_encoder.pkl"));
        assertMatches(enc, golden(), BE);
    }

    @Test
    void theFullSizeArchitectureHasTheReleasedKeysShapesAndCount() {
        Map<String, String> meta = golden().metadata();
        DalleEncoder full = new DalleEncoder(DalleConfig.official(), BE, new Rng(0));
        StringBuilder table = new StringBuilder();
        full.namedParameters().forEach((k, p) -> {
            if (!table.isEmpty()) table.append(';');
            int[] s = p.shape();
            StringBuilder dims = new StringBuilder();
            for (int d : s) dims.append(dims.isEmpty() ? "" : "x").append(d);
            table.append(k).append('=').append(dims);
        });
        assertEquals(meta.get("full_shapes"), table.toString());
        assertEquals(Long.parseLong(meta.get("full_parameters")), full.parameterCount(false));
    }

    @Test
    void aMissingFileSaysWhereToGetTheWeights() {
        var e = assertThrows(IllegalArgumentException.class, () -> DalleWeights.load(BE, Path.of("no/such/encoder.pkl")));
        assertTrue(e.getMessage().contains("no/such/encoder.pkl") && e.getMessage().contains("https://cdn.openai.com/dall-e/encoder.pkl"),
                e.getMessage());
    }
}
