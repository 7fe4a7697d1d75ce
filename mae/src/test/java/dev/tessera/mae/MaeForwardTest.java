package dev.tessera.mae;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.CallLog;
import dev.tessera.engine.testing.GradCheck;
import dev.tessera.vit.Pool;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.VisionTransformer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The MAE pipeline on the golden-sized configs (docs/mae.md#encoder, docs/mae.md#decoder, docs/mae.md#loss, docs/mae.md#checks). */
class MaeForwardTest {
    private final Backend be = Backends.cpu();
    private static final MaeConfig PIX = MaeConfig.of(ViTConfig.of(28, 4, 1, 32, 2, 2), 16, 1, 2);
    private static final MaeConfig NORMPIX = PIX.withNormPixLoss(true);
    private static final MaeConfig RGB = MaeConfig.of(ViTConfig.of(48, 16, 3, 48, 2, 3), 32, 1, 2).withNormPixLoss(true);

    private Tensor images(MaeConfig cfg, int n, long seed) {
        ViTConfig e = cfg.encoder();
        Rng r = new Rng(seed);
        float[] v = new float[n * e.inChans() * e.imgSize() * e.imgSize()];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(be, v, n, e.inChans(), e.imgSize(), e.imgSize());
    }

    private Tensor noise(int n, int l, long seed) {
        Rng r = new Rng(seed);
        float[] v = new float[n * l];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat();
        return Tensor.of(be, v, n, l);
    }

    @Test
    void officialNamesAndShapes() {
        MaskedAutoencoder mae = new MaskedAutoencoder(RGB, be, new Rng(1));
        Map<String, Tensor> sd = mae.stateDict();
        for (String k : List.of("patch_embed.proj.weight", "patch_embed.proj.bias", "cls_token", "pos_embed", "blocks.0.attn.qkv.weight",
                "blocks.1.mlp.fc2.bias", "norm.weight", "decoder_embed.weight", "mask_token", "decoder_pos_embed",
                "decoder_blocks.0.norm1.weight", "decoder_norm.bias", "decoder_pred.weight", "decoder_pred.bias")) {
            assertTrue(sd.containsKey(k), "missing " + k + " in " + sd.keySet());
        }
        assertArrayEquals(new int[] {48, 3, 16, 16}, sd.get("patch_embed.proj.weight").shape());
        assertArrayEquals(new int[] {1, 10, 48}, sd.get("pos_embed").shape());
        assertArrayEquals(new int[] {1, 10, 32}, sd.get("decoder_pos_embed").shape());
        assertArrayEquals(new int[] {1, 1, 32}, sd.get("mask_token").shape());
        assertArrayEquals(new int[] {768, 32}, sd.get("decoder_pred.weight").shape());
        assertEquals(List.of("pos_embed", "decoder_pos_embed"), List.copyOf(mae.namedBuffers().keySet()));
    }

    @Test
    void encoderRunsOnOnePlusLenKeepTokens() {
        MaskedAutoencoder mae = new MaskedAutoencoder(PIX, be, new Rng(1));
        Tensor x = images(PIX, 2, 3);
        assertArrayEquals(new int[] {2, 13, 32}, mae.forwardEncoder(x, 0.75, null).latent().shape());
        assertArrayEquals(new int[] {2, 25, 32}, mae.forwardEncoder(x, 0.5, null).latent().shape());
        assertArrayEquals(new int[] {2, 50, 32}, mae.forwardEncoder(x, 0.0, null).latent().shape());
        MaeOutput out = mae.forward(x, 0.75, noise(2, 49, 4));
        assertArrayEquals(new int[] {2, 49, 16}, out.pred().shape());
        assertArrayEquals(new int[] {}, out.loss().shape());
    }

    @Test
    void encoderNeverSeesRemovedPatches() {
        // Changing the pixels of a removed patch must not change the latent at all.
        MaskedAutoencoder mae = new MaskedAutoencoder(PIX, be, new Rng(1));
        Tensor nz = noise(1, 49, 5);
        Tensor x = images(PIX, 1, 6);
        MaskedAutoencoder.Encoded a = mae.forwardEncoder(x, 0.75, nz);
        float[] mask = a.mask().toArray();
        int removed = 0;
        while (mask[removed] == 0f) removed++;
        int kept = 0;
        while (mask[kept] == 1f) kept++;
        float[] px = x.toArray();
        int r = removed / 7, c = removed % 7;
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) px[(r * 4 + i) * 28 + c * 4 + j] += 5f;
        assertArrayEquals(a.latent().toArray(), mae.forwardEncoder(Tensor.of(be, px, 1, 1, 28, 28), 0.75, nz).latent().toArray());
        // ...while changing a kept patch does.
        px = x.toArray();
        r = kept / 7;
        c = kept % 7;
        px[(r * 4) * 28 + c * 4] += 5f;
        float[] changed = mae.forwardEncoder(Tensor.of(be, px, 1, 1, 28, 28), 0.75, nz).latent().toArray();
        assertTrue(!java.util.Arrays.equals(a.latent().toArray(), changed));
    }

    @Test
    void unshuffledDecoderInputIsTheKeptTokenOrTheMaskToken() {
        MaskedAutoencoder mae = new MaskedAutoencoder(PIX, be, new Rng(1));
        int n = 2, l = 49, dd = 16, keep = 12;
        Tensor tokens = Tensor.zeros(be, n, l, 4);
        MaskedAutoencoder.Masked m = mae.randomMasking(tokens, 0.75, noise(n, l, 7));
        float[] x = new float[n * (1 + keep) * dd];
        for (int i = 0; i < x.length; i++) x[i] = 1000 + i;                 // recognisable rows
        float[] out = mae.appendMaskTokensAndUnshuffle(Tensor.of(be, x, n, 1 + keep, dd), m.idsRestore()).toArray();
        float[] maskToken = mae.maskTokenValue().toArray(), mask = m.mask().toArray();
        int[] ids = m.idsKeep().toIntArray();
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < dd; c++) assertEquals(x[s * (1 + keep) * dd + c], out[s * (1 + l) * dd + c], "cls row first");
            for (int i = 0; i < l; i++) {
                int t = -1;
                for (int k = 0; k < keep; k++) if (ids[s * keep + k] == i) t = k;
                assertEquals(t >= 0 ? 0f : 1f, mask[s * l + i]);
                for (int c = 0; c < dd; c++) {
                    float expected = t >= 0 ? x[(s * (1 + keep) + 1 + t) * dd + c] : maskToken[c];
                    assertEquals(expected, out[(s * (1 + l) + 1 + i) * dd + c], "sample " + s + " patch " + i);
                }
            }
        }
    }

    @Test
    void normPixTargetOfAConstantPatchIsZero() {
        MaskedAutoencoder mae = new MaskedAutoencoder(NORMPIX, be, new Rng(1));
        float[] img = new float[28 * 28];
        for (int i = 0; i < img.length; i++) img[i] = 3.5f;
        for (float v : mae.forwardTarget(Tensor.of(be, img, 1, 1, 28, 28)).toArray()) assertEquals(0f, v, 1e-6f);
    }

    @Test
    void zeroPredictionGivesBesselCorrectedUnitLoss() {
        // Per patch: mean(target²) = ((n−1)/n)·σ²/(σ²+1e-6) with σ² the UNBIASED variance (n = p²·C).
        for (MaeConfig cfg : List.of(NORMPIX, RGB)) {
            MaskedAutoencoder mae = new MaskedAutoencoder(cfg, be, new Rng(1));
            Tensor x = images(cfg, 2, 8);
            int l = cfg.numPatches(), pd = cfg.encoder().patchDim();
            float[] patches = mae.patchify(x).toArray();
            float[] mask = new float[2 * l];
            java.util.Arrays.fill(mask, 1f);
            float loss = mae.forwardLoss(x, Tensor.zeros(be, 2, l, pd), Tensor.of(be, mask, 2, l)).item();
            double expected = 0;
            for (int q = 0; q < 2 * l; q++) {
                double mu = 0, ss = 0;
                for (int k = 0; k < pd; k++) mu += patches[q * pd + k];
                mu /= pd;
                for (int k = 0; k < pd; k++) ss += (patches[q * pd + k] - mu) * (patches[q * pd + k] - mu);
                double var = ss / (pd - 1);
                expected += (pd - 1.0) / pd * var / (var + 1e-6);
            }
            expected /= 2 * l;
            assertEquals(expected, loss, 2e-6, cfg.encoder().patchDim() + "-value patches");
            assertTrue(loss < 1 && loss > 0.9);
        }
    }

    @Test
    void lossIsPerPatchMseAveragedOverRemovedPatchesOnly() {
        MaskedAutoencoder mae = new MaskedAutoencoder(PIX, be, new Rng(1));
        Tensor x = images(PIX, 2, 9);
        Rng r = new Rng(10);
        float[] pred = new float[2 * 49 * 16], mask = new float[2 * 49];
        for (int i = 0; i < pred.length; i++) pred[i] = (float) r.nextGaussian();
        for (int i = 0; i < mask.length; i++) mask[i] = i % 3 == 0 ? 1f : 0f;
        float[] target = mae.patchify(x).toArray();
        double num = 0, den = 0;
        for (int q = 0; q < 98; q++) {
            double l = 0;
            for (int k = 0; k < 16; k++) l += Math.pow(pred[q * 16 + k] - target[q * 16 + k], 2);
            num += l / 16 * mask[q];
            den += mask[q];
        }
        Tensor m = Tensor.of(be, mask, 2, 49);
        float loss = mae.forwardLoss(x, Tensor.of(be, pred, 2, 49, 16), m).item();
        assertEquals(num / den, loss, 1e-5);
        pred[16 * 1 + 3] += 100f;   // patch 1 is kept (1 % 3 != 0): no effect
        assertEquals(loss, mae.forwardLoss(x, Tensor.of(be, pred, 2, 49, 16), m).item(), 0f);
    }

    @Test
    void stateDictLoadsByOfficialNamesIncludingBuffers() {
        MaskedAutoencoder a = new MaskedAutoencoder(NORMPIX, be, new Rng(1)), b = new MaskedAutoencoder(NORMPIX, be, new Rng(2));
        Map<String, float[]> values = new HashMap<>();
        Map<String, int[]> shapes = new HashMap<>();
        a.stateDict().forEach((k, v) -> {
            float[] data = v.toArray();
            if (k.equals("pos_embed")) data[5] = 0.25f;        // a buffer really is loaded
            values.put(k, data);
            shapes.put(k, v.shape());
        });
        b.loadStateDict(values, shapes);
        assertEquals(0.25f, b.stateDict().get("pos_embed").toArray()[5]);
        a.loadStateDict(values, shapes);
        Tensor x = images(NORMPIX, 2, 11), nz = noise(2, 49, 12);
        assertEquals(a.forward(x, 0.75, nz).loss().item(), b.forward(x, 0.75, nz).loss().item());
        values.remove("decoder_pos_embed");
        var e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(values, shapes));
        assertTrue(e.getMessage().contains("missing decoder_pos_embed"), e.getMessage());
    }

    @Test
    void encoderLoadsIntoTheClassifierAndAgreesAtMaskRatioZero() {
        MaskedAutoencoder mae = new MaskedAutoencoder(PIX, be, new Rng(1));
        ViTConfig cls = PIX.encoder().withNumClasses(10).withPosLearnable(true);
        VisionTransformer vit = new VisionTransformer(cls, be, new Rng(2));
        Map<String, float[]> values = new HashMap<>();
        Map<String, int[]> shapes = new HashMap<>();
        mae.stateDict().forEach((k, v) -> {
            values.put(k, v.toArray());
            shapes.put(k, v.shape());
        });
        vit.loadStateDict(values, shapes, n -> n.startsWith("head."), n -> n.startsWith("decoder_") || n.equals("mask_token"));
        Tensor x = images(PIX, 2, 13);
        float[] order = new float[2 * 49];
        for (int i = 0; i < order.length; i++) order[i] = i % 49;   // keep everything, in raster order
        float[] latent = mae.forwardEncoder(x, 0.0, Tensor.of(be, order, 2, 49)).latent().toArray();
        assertClose("MAE encoder = ViT features", latent, vit.forwardFeatures(x).toArray(), 1e-5, 1e-5);
        assertArrayEquals(new int[] {2, 32}, vit.features(x, Pool.CLS).shape());
    }

    /**
     * Memory an op takes uninitialised is written before it is read: on a backend that hands out NaN there, a
     * step's loss, prediction and every gradient are bit for bit those of the plain CPU backend.
     */
    @Test
    void aStepNeverReadsUninitialisedMemory() {
        assertArrayEquals(step(be), step(CallLog.poisoningUninitialized(be)));
    }

    private float[] step(Backend b) {
        MaskedAutoencoder mae = new MaskedAutoencoder(RGB, b, new Rng(1));
        Tensor x = Tensor.of(b, images(RGB, 2, 17).toArray(), 2, 3, 48, 48), nz = Tensor.of(b, noise(2, 9, 18).toArray(), 2, 9);
        MaeOutput out = mae.forward(x, 0.75, nz);
        out.loss().backward();
        List<Float> all = new ArrayList<>();
        all.add(out.loss().item());
        for (float v : out.pred().toArray()) all.add(v);
        for (var p : mae.namedParameters().values()) for (float v : p.tensor().grad().toArray()) all.add(v);
        float[] a = new float[all.size()];
        for (int i = 0; i < a.length; i++) a[i] = all.get(i);
        return a;
    }

    /** Every parameter's gradient agrees with the central difference of the loss along a random direction. */
    @Test
    void everyParametersGradientMatchesFiniteDifferences() {
        MaskedAutoencoder mae = new MaskedAutoencoder(RGB, be, new Rng(1));
        Tensor x = images(RGB, 2, 14), nz = noise(2, 9, 15);
        GradCheck.checkParameters("mae", mae.namedParameters(), () -> mae.forward(x, 0.75, nz).loss());
        mae.namedParameters().forEach((k, p) -> assertNotNull(p.tensor().grad(), k + " got no gradient"));
    }

    @Test
    void reconstructionPastesVisiblePatchesAndDenormalisesPredictions() {
        MaskedAutoencoder mae = new MaskedAutoencoder(NORMPIX, be, new Rng(1));
        Tensor x = images(NORMPIX, 2, 16);
        Tensor mask = mae.sampleMask(2);
        Reconstruction rec = mae.reconstruct(x, mask);
        assertArrayEquals(new int[] {2, 1, 28, 28}, rec.predicted().shape());
        assertArrayEquals(mask.toArray(), rec.mask().toArray());
        float[] m = mask.toArray(), input = mae.patchify(x).toArray(), pasted = mae.patchify(rec.pasted()).toArray(),
                masked = mae.patchify(rec.masked()).toArray(), pred = mae.patchify(rec.predicted()).toArray();
        // The same forward by hand: normalised prediction × √(σ²+1e-6) + μ of the original patch.
        float[] noiseFromMask = new float[98];
        for (int i = 0; i < 98; i++) noiseFromMask[i] = m[i] + (i % 49) / 98f;
        MaskedAutoencoder.Encoded e = mae.forwardEncoder(x, 37 / 49.0, Tensor.of(be, noiseFromMask, 2, 49));
        assertArrayEquals(m, e.mask().toArray());
        float[] raw = mae.forwardDecoder(e.latent(), e.idsRestore()).toArray();
        for (int q = 0; q < 98; q++) {
            double mu = 0, ss = 0;
            for (int k = 0; k < 16; k++) mu += input[q * 16 + k];
            mu /= 16;
            for (int k = 0; k < 16; k++) ss += Math.pow(input[q * 16 + k] - mu, 2);
            double sd = Math.sqrt(ss / 15 + 1e-6);
            for (int k = 0; k < 16; k++) {
                int i = q * 16 + k;
                assertEquals(raw[i] * sd + mu, pred[i], 1e-4);
                assertEquals(m[q] == 1f ? pred[i] : input[i], pasted[i], 1e-6f);
                assertEquals(m[q] == 1f ? 0f : input[i], masked[i], 0f);
            }
        }
        float[] unequal = new float[98];
        for (int i = 0; i < 49; i++) unequal[i] = 1f;
        assertThrows(IllegalArgumentException.class, () -> mae.reconstruct(x, Tensor.of(be, unequal, 2, 49)));
        assertThrows(ShapeException.class, () -> mae.reconstruct(x, Tensor.zeros(be, 2, 48)));
    }
}
