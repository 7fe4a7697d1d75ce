package dev.tessera.tests.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.io.Pickle;
import dev.tessera.engine.io.PickleException;
import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.io.SafeTensorsFile;
import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.io.TorchCheckpoint;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.interop.InitWeights;
import dev.tessera.interop.ModelWeights;
import dev.tessera.interop.WeightExport;
import dev.tessera.interop.WeightImport;
import dev.tessera.mae.MaeConfig;
import dev.tessera.mae.MaeOutput;
import dev.tessera.mae.MaskedAutoencoder;
import dev.tessera.vit.Pool;
import dev.tessera.vit.VisionTransformer;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tessera against the files other tools write (tests/golden/make_interop.py, README "Interop fixtures"): PyTorch's
 * own torch.save checkpoints and timm / Hugging Face-named safetensors of tiny models are imported and must compute
 * what PyTorch computed from them (1e-5 relative, as the golden tests); Tessera's exports must be exactly the files
 * that the name-faithful timm / HF reference modules loaded with strict=True (same names, shapes and values); and
 * malicious or foreign pickles are refused by name. The exports are also written to target/interop-exports for the
 * generator's --check-exports, whose report is committed as tests/golden/interop-report.json.
 */
class InteropGoldenTest {
    static final CpuBackend BE = new CpuBackend(2);
    static final WeightImport.Hints TINY = new WeightImport.Hints(2, 2);   // the fixtures' head counts (shapes cannot tell)
    static final Path EXPORTS = Path.of("target", "interop-exports");

    @AfterAll
    static void close() {
        BE.close();
    }

    static Path fixture(String name) {
        try {
            var url = InteropGoldenTest.class.getResource("/interop/" + name);
            if (url == null) fail("interop fixture " + name + " is missing; run tests/golden/make_interop.py");
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static final SafeTensorsFile EXPECTED = SafeTensors.read(fixture("expected.safetensors"));

    static Tensor input(String key) {
        TensorData t = EXPECTED.get("input." + key);
        return Tensor.of(BE, t.floats(), t.shape());
    }

    static void assertClose(String key, float[] actual, double tol) {
        float[] e = EXPECTED.get(key).floats();
        assertEquals(e.length, actual.length, key + ": element count");
        double scale = 0, worst = 0;
        for (int i = 0; i < e.length; i++) {
            scale = Math.max(scale, Math.abs(e[i]));
            worst = Math.max(worst, Math.abs(actual[i] - e[i]));
        }
        assertTrue(worst <= tol * scale, String.format("%s: max error %.3e relative to max|expected| %.3e (tolerance %.0e)", key, worst / scale, scale, tol));
    }

    /** The MAE of {@code w} on the fixture's images and masking noise, against PyTorch's outputs of {@code prefix}. */
    static void checkMae(ModelWeights w, String prefix) {
        assertEquals(ModelWeights.Kind.MAE, w.kind(), w.description());
        MaeConfig cfg = w.spec().maeConfig();
        MaskedAutoencoder mae = new MaskedAutoencoder(cfg, BE, new Rng(0));
        InitWeights.load(mae, "mae", "the fixture MAE", w, true);
        MaeOutput out = mae.forward(input("images"), 0.75, input("noise"));
        assertArrayEquals(EXPECTED.get("mae.mask").floats(), out.mask().toArray(), "mask");
        assertClose(prefix + ".latent", out.latent().toArray(), 1e-5);
        assertClose(prefix + ".pred", out.pred().toArray(), 1e-5);
        assertClose(prefix + ".loss", new float[] {out.loss().item()}, 1e-5);
    }

    // ================================================================ import: PyTorch-written files compute what PyTorch computed

    @ParameterizedTest
    @ValueSource(strings = {"mae.pth", "mae_ckpt.pth", "mae_views.pth"})
    void torchSaveCheckpointsOfTheOfficialMae(String file) {
        ModelWeights w = WeightImport.read(fixture(file), TINY);
        if (file.equals("mae_ckpt.pth")) assertTrue(w.description().contains("under 'model'"), w.description());
        checkMae(w, "mae");
    }

    @Test
    void float16AndBfloat16Storages() {
        checkMae(WeightImport.read(fixture("mae_half.pth"), TINY), "mae_half");
    }

    @Test
    void huggingFaceViTMaeWithItsConfigJson() {
        ModelWeights w = WeightImport.read(fixture("hf_mae/model.safetensors"), WeightImport.Hints.NONE);   // heads from config.json
        assertTrue(w.notes().stream().anyMatch(n -> n.startsWith("head counts from")), String.valueOf(w.notes()));
        checkMae(w, "mae");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mae_timm_encoder.safetensors:mae_encoder", "cae.pth:cae_encoder", "cae_timm_encoder.safetensors:cae_encoder",
            "cae_hf_encoder.safetensors:cae_encoder"})
    void encodersComputeTheSameTokens(String fileAndKey) {
        String[] fk = fileAndKey.split(":");
        ModelWeights w = WeightImport.read(fixture(fk[0]), TINY);
        VisionTransformer encoder = w.encoderSource().buildEncoder(BE, 0);
        assertClose(fk[1] + ".features", encoder.forwardFeatures(input("images")).toArray(), 1e-5);
        // q/v biases or LayerScale mark a CAE encoder (fine-tuned with a fixed position table); HF's plain ViT names cannot
        if (fk[1].startsWith("cae")) assertEquals(fk[0].contains("hf") ? "mae" : "cae", w.method(), w.description());
    }

    @ParameterizedTest
    @ValueSource(strings = {"classifier_timm.safetensors:classifier_avg", "classifier_hf.safetensors:classifier_cls"})
    void fineTunedClassifiersComputeTheSameLogits(String fileAndKey) {
        String[] fk = fileAndKey.split(":");
        ModelWeights w = WeightImport.read(fixture(fk[0]), TINY);
        assertEquals(ModelWeights.Kind.CLASSIFIER, w.kind());
        assertEquals(fk[1].endsWith("avg") ? Pool.AVG : Pool.CLS, w.vit().pool());
        assertClose(fk[1] + ".logits", classifier(w).forward(input("images")).toArray(), 1e-5);
    }

    static VisionTransformer classifier(ModelWeights w) {
        VisionTransformer vit = new VisionTransformer(w.vit(), BE, new Rng(0));
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        Map<String, int[]> shapes = new java.util.LinkedHashMap<>();
        w.tensors().forEach((n, t) -> {
            values.put(n, t.floats());
            shapes.put(n, t.shape());
        });
        vit.loadStateDict(values, shapes);
        vit.train(false);
        return vit;
    }

    // ================================================================ export: exactly the files PyTorch loaded strictly

    @Test
    void maeExportsAreTheReferenceFiles() {
        ModelWeights w = WeightImport.read(fixture("mae.pth"), TINY);
        assertSameTensors(raw("mae.pth"), export(w, "mae", WeightExport.Format.TESSERA));
        assertSameTensors(SafeTensors.read(fixture("hf_mae/model.safetensors")).tensors(), export(w, "mae", WeightExport.Format.HF));
        assertSameTensors(SafeTensors.read(fixture("mae_timm_encoder.safetensors")).tensors(), export(w, "mae", WeightExport.Format.TIMM));
    }

    @Test
    void caeEncoderExportsAreTheReferenceFiles() {
        ModelWeights w = WeightImport.read(fixture("cae.pth"), TINY);
        assertEquals(ModelWeights.Kind.CAE, w.kind());
        assertSameTensors(raw("cae.pth"), export(w, "cae", WeightExport.Format.TESSERA));
        assertSameTensors(SafeTensors.read(fixture("cae_timm_encoder.safetensors")).tensors(), export(w, "cae", WeightExport.Format.TIMM));
        // HF has no LayerScale: γ is folded into the Linear before it, one float32 product per value, as PyTorch did
        assertSameTensors(SafeTensors.read(fixture("cae_hf_encoder.safetensors")).tensors(), export(w, "cae", WeightExport.Format.HF));
    }

    @Test
    void classifierExportsAreTheReferenceFiles() {
        ModelWeights avg = WeightImport.read(fixture("classifier_timm.safetensors"), TINY);
        Map<String, TensorData> timm = SafeTensors.read(fixture("classifier_timm.safetensors")).tensors();
        assertSameTensors(timm, export(avg, "classifier_avg", WeightExport.Format.TIMM));
        assertSameTensors(timm, export(avg, "classifier_avg", WeightExport.Format.TESSERA));   // models_vit.py = timm names
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightExport.write(avg, WeightExport.Format.HF, EXPORTS.resolve("refused.safetensors")));
        assertTrue(e.getMessage().contains("export it with --format timm"), e.getMessage());
        ModelWeights cls = WeightImport.read(fixture("classifier_hf.safetensors"), TINY);
        assertSameTensors(SafeTensors.read(fixture("classifier_hf.safetensors")).tensors(), export(cls, "classifier_cls", WeightExport.Format.HF));
        export(cls, "classifier_cls", WeightExport.Format.TIMM);          // checked by make_interop.py --check-exports
    }

    @ParameterizedTest
    @ValueSource(strings = {"tessera", "timm", "hf"})
    void exportsReopenWithoutHintsAndRoundTrip(String format) {
        ModelWeights w = WeightImport.read(fixture("mae.pth"), TINY);
        Path f = EXPORTS.resolve("roundtrip-" + format + "/model.safetensors");
        try {
            Files.createDirectories(f.getParent());
            Files.deleteIfExists(f.resolveSibling("config.json"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        WeightExport.write(w, WeightExport.Format.parse(format), f);
        ModelWeights back = WeightImport.read(f, WeightImport.Hints.NONE);          // the metadata says everything
        Map<String, TensorData> expected = format.equals("timm") ? w.encoderTensors() : w.tensors();
        assertSameTensors(expected, format.equals("timm") ? back.encoderTensors() : back.tensors());
        assertEquals(w.vit().heads(), back.vit().heads());
        SafeTensorsFile file = SafeTensors.read(f);
        assertEquals("pt", file.metadata().get("format"), "transformers refuses safetensors without format=pt");
        assertFalse(file.tensors().keySet().stream().anyMatch(n -> n.startsWith("optimizer.")), "weights only");
    }

    static Map<String, TensorData> export(ModelWeights w, String name, WeightExport.Format format) {
        Path f = EXPORTS.resolve(name + "." + format.label() + ".safetensors");
        try {
            Files.createDirectories(EXPORTS);
            Files.deleteIfExists(EXPORTS.resolve("config.json"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        WeightExport.write(w, format, f);
        return SafeTensors.read(f).tensors();
    }

    static Map<String, TensorData> raw(String pth) {
        return TorchCheckpoint.readStateDict(fixture(pth)).tensors();
    }

    /** The same names, shapes and float32 values, bit for bit. */
    static void assertSameTensors(Map<String, TensorData> expected, Map<String, TensorData> actual) {
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(actual.keySet()), "tensor names");
        expected.forEach((n, e) -> {
            TensorData a = actual.get(n);
            assertArrayEquals(e.shape(), a.shape(), n + ": shape");
            assertArrayEquals(e.floats(), a.floats(), n + ": values");
        });
    }

    // ================================================================ refusals

    @Test
    void aPickleThatWouldRunCodeIsRefusedByName() {
        PickleException e = assertThrows(PickleException.class, () -> WeightImport.read(fixture("malicious.pth"), TINY));
        assertEquals("posix.system", e.refusedGlobal());
        assertTrue(e.getMessage().contains("malicious.pth (data.pkl): refusing to unpickle 'posix.system'"), e.getMessage());
        assertFalse(Files.exists(Path.of("/tmp/tessera-pickle-was-executed")));
    }

    @Test
    void aPickledModuleIsRefusedUnlessItsClassesAreAdded() {
        PickleException e = assertThrows(PickleException.class, () -> WeightImport.read(fixture("module.pth"), TINY));
        assertEquals("torch.nn.modules.linear.Linear", e.refusedGlobal());
        // The extension a later reader (the DALL-E tokenizer's pickled encoder) uses: its module classes as inert records
        try (TorchCheckpoint c = TorchCheckpoint.open(fixture("module.pth"),
                TorchCheckpoint.STATE_DICT_CLASSES.withRecords("torch.nn.modules.linear.Linear"))) {
            Pickle.PyObject linear = assertInstanceOf(Pickle.PyObject.class, c.root());
            Map<?, ?> params = assertInstanceOf(Map.class, linear.attribute("_parameters"));
            TensorData weight = c.tensor((TorchCheckpoint.TensorRef) params.get("weight"), "weight");
            assertArrayEquals(new int[] {2, 3}, weight.shape());
            assertEquals(3L, linear.attribute("in_features"));
        }
    }

    @Test
    void aNonFiniteWeightIsNamed() throws java.io.IOException {
        Map<String, TensorData> t = new java.util.LinkedHashMap<>(SafeTensors.read(fixture("mae_timm_encoder.safetensors")).tensors());
        float[] w = t.get("blocks.1.mlp.fc2.weight").floats().clone();
        w[7] = Float.NaN;
        t.put("blocks.1.mlp.fc2.weight", TensorData.f32(w, t.get("blocks.1.mlp.fc2.weight").shape()));
        Files.createDirectories(EXPORTS);
        Path f = EXPORTS.resolve("nan.safetensors");
        SafeTensors.write(f, t, Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightImport.read(f, TINY));
        assertTrue(e.getMessage().contains("tensor 'blocks.1.mlp.fc2.weight' holds NaN at element 7"), e.getMessage());
    }

    @Test
    void headCountsThatShapesCannotTellAreAskedFor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightImport.read(fixture("mae.pth"), WeightImport.Hints.NONE));
        assertTrue(e.getMessage().contains("cannot tell the number of attention heads") && e.getMessage().contains("--heads"), e.getMessage());
    }

    @Test
    void aModelOfOtherShapesNamesTheTensorAndBothShapes() {
        ModelWeights w = WeightImport.read(fixture("mae.pth"), TINY);
        MaskedAutoencoder tiny = new MaskedAutoencoder(MaeConfig.preset("mae-tiny"), BE, new Rng(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InitWeights.load(tiny, "mae", "mae-tiny", w, false));
        assertTrue(e.getMessage().contains("tensor 'cls_token' is [1, 1, 16] in the file but [1, 1, 192] in mae-tiny"), e.getMessage());
    }
}
