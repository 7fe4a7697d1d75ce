package dev.tessera.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.cae.CaeConfig;
import dev.tessera.cae.DalleConfig;
import dev.tessera.cae.DalleEncoder;
import dev.tessera.data.Lanczos;
import dev.tessera.data.Normalize;
import dev.tessera.data.PlanarImage;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CAE's DALL-E token target with a random-weight tokenizer (n_hid 8, one block per group, 16 ids). */
class DalleTokensTest {
    static final CpuBackend CPU = new CpuBackend(2);
    static final DalleConfig SMALL = new DalleConfig(8, 1, 3, 16);

    @TempDir
    static Path tmp;

    @AfterAll
    static void close() {
        CPU.close();
    }

    /** A random-weight DALL-E encoder written as a safetensors state dict (official keys). */
    static Path tokenizerFile(Path dir, DalleConfig config, long seed) {
        DalleEncoder enc = new DalleEncoder(config, CPU, new Rng(seed));
        for (var p : enc.namedParameters().entrySet()) {                // non-zero biases: random ones show more ids
            if (p.getKey().endsWith(".b")) p.getValue().tensor().copyFrom(new Rng(seed + 1).normal(p.getValue().numel(), 0f, 0.3f));
        }
        Path f = dir.resolve("dalle-" + seed + ".safetensors");
        SafeTensors.writeTensors(f, enc.stateDict(), Map.of());
        return f;
    }

    static float[] greyBatch(int n, int size, long seed) {
        Rng r = new Rng(seed);
        float[] raw = r.uniform(n * size * size, 0f, 1f);
        Normalize norm = Normalize.forChannels(1);
        float[] out = new float[raw.length];
        for (int i = 0; i < n; i++) {
            norm.apply(new PlanarImage(java.util.Arrays.copyOfRange(raw, i * size * size, (i + 1) * size * size), 1, size, size),
                    out, i * size * size);
        }
        return out;
    }

    @Test
    void theViewIsMapPixelsOfTheLanczosResizedImageRepeatedToRgb() {
        DalleTokens t = DalleTokens.load(CPU, tokenizerFile(tmp, SMALL, 1));
        float[] batch = greyBatch(2, 28, 3);
        float[] view = t.view(batch, 2, 1, 28, 28, 4, 4);                  // a 4×4 patch grid: 32×32 view
        assertEquals(2 * 3 * 32 * 32, view.length);
        float[] img = Normalize.forChannels(1).denormalize(batch, 28 * 28, 1, 28, 28);
        float[] resized = Lanczos.resize(new PlanarImage(img, 1, 28, 28), 32, 32).data();
        for (int ch = 0; ch < 3; ch++) {
            for (int k = 0; k < 32 * 32; k++) {
                float v = view[3 * 32 * 32 + ch * 32 * 32 + k];
                assertEquals(0.8f * resized[k] + 0.1f, v, 1e-7f);
                assertTrue(v >= 0.1f - 1e-6f && v <= 0.9f + 1e-6f, "map_pixels keeps [0, 1] inside [0.1, 0.9]: " + v);
            }
        }
    }

    @Test
    void tokensAreTheEncodersArgmaxOverItsViewInChunks() {
        Path f = tokenizerFile(tmp, SMALL, 2);
        DalleTokens t = DalleTokens.load(CPU, f);
        float[] batch = greyBatch(6, 28, 4);                                 // 6 images: two chunks
        int[] ids = t.tokens(batch, 6, 1, 28, 28, 4, 4).toIntArray();
        DalleEncoder enc = dev.tessera.cae.DalleWeights.load(CPU, f);
        float[] view = t.view(batch, 6, 1, 28, 28, 4, 4);
        float[] logits = enc.forward(Tensor.of(CPU, view, 6, 3, 32, 32)).toArray();   // [6, 16, 4, 4]
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            for (int cell = 0; cell < 16; cell++) {
                int best = 0;
                for (int k = 1; k < 16; k++) if (logits[(i * 16 + k) * 16 + cell] > logits[(i * 16 + best) * 16 + cell]) best = k;
                assertEquals(best, ids[i * 16 + cell], "image " + i + " cell " + cell);
                seen.add(best);
            }
        }
        assertTrue(seen.size() > 1, "a random tokenizer should not give one id everywhere: " + seen);
    }

    @Test
    void caeTrainsOnDalleTokensAndRefusesAMismatchedVocabulary() throws Exception {
        Path f = tokenizerFile(tmp, SMALL, 5);
        CaeConfig cfg = TrainerTest.tinyCae().withTokenTarget(16);
        Path dir = tmp.resolve("run");
        new Trainer(CaeObjective.create(cfg, CPU, 3, f), SyntheticImages.fashionSized(6), TrainerTest.base("cae").steps(2).build())
                .log(null, false).output(dir).run();
        List<StepMetrics> m = RunDirectory.existing(dir).readMetrics();
        assertEquals(2, m.size());
        double main = m.get(0).parts().get("loss_main");
        // cross-entropy over 16 ids from a freshly initialised head: finite and of the order of ln 16
        assertTrue(Double.isFinite(main) && Math.abs(main - Math.log(16)) < 1.5, "loss_main " + main);
        var e = assertThrows(IllegalArgumentException.class,
                () -> CaeObjective.create(TrainerTest.tinyCae().withTokenTarget(32), CPU, 3, f));
        assertTrue(e.getMessage().contains("has 16 tokens") && e.getMessage().contains("predicts 32"), e.getMessage());
        assertTrue(DalleTokens.isDalleFile(f));
    }
}
