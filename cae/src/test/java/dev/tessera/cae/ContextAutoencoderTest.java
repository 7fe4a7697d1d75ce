package dev.tessera.cae;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.cae.ContextAutoencoder.MaskIndices;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.ops.Loss;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.CallLog;
import dev.tessera.engine.testing.GradCheck;
import dev.tessera.vit.PosEmbed2d;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.testing.MetaBackend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ContextAutoencoderTest {
    final Backend be = Backends.cpu();

    /** The golden files' shape: 28×28×1, patch 4 (7×7 = 49 patches), D = Dd = 32, 2 heads, LayerScale 0.1. */
    static CaeConfig small() {
        return CaeConfig.of(ViTConfig.of(28, 4, 1, 32, 2, 2).withQvBias(true).withLayerScale(0.1), 2, 1, 32, 2);
    }

    static Tensor images(Backend be, long seed, int n) {
        Rng r = new Rng(seed);
        return Tensor.of(be, r.normal(n * 28 * 28, 0f, 1f), n, 1, 28, 28);
    }

    static boolean[][] masks(CaeConfig c, long seed, int n) {
        CaeMaskGenerator g = c.maskGenerator();
        SplittableRandom r = new SplittableRandom(seed);
        boolean[][] m = new boolean[n][];
        for (int i = 0; i < n; i++) m[i] = g.next(r);
        return m;
    }

    // ------------------------------------------------------------------ counts and names

    /**
     * docs/cae.md#parameter-counts, over the real CAE-B module tree (on the shape-only MetaBackend: every constructor and initialiser
     * runs, the 600 MB of weights are not kept).
     */
    @Test
    void caeBaseParameterCountsMatchSpec() {
        ContextAutoencoder cae = new ContextAutoencoder(CaeConfig.preset("cae-vit-base-patch16"), new MetaBackend(), new Rng(1));
        Map<String, Long> parts = trainableByPrefix(cae);
        assertEquals(85_656_576L, parts.get("encoder"), "encoder (q/v bias, LayerScale)");
        assertEquals(28_368_384L, parts.get("regresser"), "regressor (4 blocks + LN)");
        assertEquals(34_655_744L, parts.get("decoder"), "decoder + 8192-way head");
        assertEquals(768L, parts.get("mask_token"), "mask token");
        assertEquals(148_681_472L, cae.parameterCount(true), "total trainable");
        assertEquals(Map.of("encoder", 85_656_576L, "regresser", 28_368_384L, "decoder", 34_655_744L, "mask_token", 768L), parts);
        // Fixed: the two 197×768 sin-cos tables, nothing else.
        assertEquals(new TreeSet<>(java.util.List.of("encoder.pos_embed", "rd_pos_embed")), new TreeSet<>(cae.namedBuffers().keySet()));
        assertEquals(2L * 197 * 768, cae.namedBuffers().values().stream().mapToLong(Tensor::numel).sum());
        assertEquals(cae.parameterCount(false), cae.parameterCount(true), "no frozen parameters with LayerScale on");
    }

    /**
     * CAE-L (the intended neck: 1024 wide, 16 heads) and the CPU preset, against the block formulas: a BEiT block
     * has 12D² + 14D parameters (qkv 3D² without bias, q/v bias 2D, proj D²+D, two LNs 4D, MLP 8D²+5D, γ 2D); a
     * regressor block 12D² + 18D (q, k, v 3D², q/v bias 2D, proj D²+D, four LNs 8D, MLP 8D²+5D, γ 2D).
     */
    @Test
    void largeAndTinyCountsFollowTheBlockFormulas() {
        // Counts do not depend on the init; CAE-L's BEiT init (412 M truncated-normal draws) would add ~15 s.
        long[] totals = {412_320_768L, 8_021_968L};
        String[] names = {"cae-vit-large-patch16", "cae-tiny"};
        for (int t = 0; t < 2; t++) {
            CaeConfig c = CaeConfig.preset(names[t]).withFixInitWeight(false);
            ContextAutoencoder cae = new ContextAutoencoder(c, new MetaBackend(), new Rng(1));
            long d = c.encoder().dim(), dd = c.decoderDim(), p2c = c.encoder().patchDim();
            long encoder = c.encoder().depth() * (12 * d * d + 14 * d) + (p2c * d + d) + d + 2 * d;
            long regressor = c.regressorDepth() * (12 * dd * dd + 18 * dd) + 2 * dd;
            long decoder = c.decoderDepth() * (12 * dd * dd + 14 * dd) + 2 * dd + dd * c.headDim() + c.headDim();
            Map<String, Long> parts = trainableByPrefix(cae);
            assertEquals(encoder, parts.get("encoder"), names[t] + " encoder");
            assertEquals(regressor, parts.get("regresser"), names[t] + " regressor");
            assertEquals(decoder, parts.get("decoder"), names[t] + " decoder");
            assertEquals(encoder + regressor + decoder + dd, cae.parameterCount(true), names[t] + " total");
            assertEquals(totals[t], cae.parameterCount(true), names[t] + " total");
        }
    }

    @Test
    void stateDictUsesTheOfficialNames() {
        ContextAutoencoder cae = new ContextAutoencoder(small().withNeck(1, 1, 32, 2), be, new Rng(1));
        Map<String, int[]> expected = new LinkedHashMap<>();
        expected.put("encoder.cls_token", new int[] {1, 1, 32});
        expected.put("encoder.patch_embed.proj.weight", new int[] {32, 1, 4, 4});
        expected.put("encoder.patch_embed.proj.bias", new int[] {32});
        for (int i = 0; i < 2; i++) beitBlock(expected, "encoder.blocks." + i + ".", 32);
        expected.put("encoder.norm.weight", new int[] {32});
        expected.put("encoder.norm.bias", new int[] {32});
        String r = "regresser.regressor_blocks.0.";
        for (String ln : new String[] {"norm1_q", "norm1_k", "norm1_v", "norm2_cross"}) {
            expected.put(r + ln + ".weight", new int[] {32});
            expected.put(r + ln + ".bias", new int[] {32});
        }
        for (String w : new String[] {"q", "k", "v"}) expected.put(r + "cross_attn." + w + ".weight", new int[] {32, 32});
        expected.put(r + "cross_attn.q_bias", new int[] {32});
        expected.put(r + "cross_attn.v_bias", new int[] {32});
        expected.put(r + "cross_attn.proj.weight", new int[] {32, 32});
        expected.put(r + "cross_attn.proj.bias", new int[] {32});
        expected.put(r + "mlp_cross.fc1.weight", new int[] {128, 32});
        expected.put(r + "mlp_cross.fc1.bias", new int[] {128});
        expected.put(r + "mlp_cross.fc2.weight", new int[] {32, 128});
        expected.put(r + "mlp_cross.fc2.bias", new int[] {32});
        expected.put(r + "gamma_1_cross", new int[] {32});
        expected.put(r + "gamma_2_cross", new int[] {32});
        expected.put("regresser.norm.weight", new int[] {32});
        expected.put("regresser.norm.bias", new int[] {32});
        expected.put("mask_token", new int[] {1, 1, 32});
        beitBlock(expected, "decoder.decoder_blocks.0.", 32);
        expected.put("decoder.norm.weight", new int[] {32});
        expected.put("decoder.norm.bias", new int[] {32});
        expected.put("decoder.head.weight", new int[] {16, 32});
        expected.put("decoder.head.bias", new int[] {16});
        expected.put("encoder.pos_embed", new int[] {1, 50, 32});
        expected.put("rd_pos_embed", new int[] {1, 50, 32});

        Map<String, Tensor> sd = cae.stateDict();
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(sd.keySet()));
        expected.forEach((k, s) -> assertArrayEquals(s, sd.get(k).shape(), k));
        // Both tables are CAE-order sin-cos with a zero cls row.
        assertClose("encoder.pos_embed", PosEmbed2d.table(32, 7, true, PosEmbed2d.Order.CAE), sd.get("encoder.pos_embed").toArray(), 0, 0);
        assertClose("rd_pos_embed", PosEmbed2d.table(32, 7, true, PosEmbed2d.Order.CAE), sd.get("rd_pos_embed").toArray(), 0, 0);
    }

    private static void beitBlock(Map<String, int[]> m, String p, int d) {
        m.put(p + "gamma_1", new int[] {d});
        m.put(p + "gamma_2", new int[] {d});
        m.put(p + "norm1.weight", new int[] {d});
        m.put(p + "norm1.bias", new int[] {d});
        m.put(p + "attn.q_bias", new int[] {d});
        m.put(p + "attn.v_bias", new int[] {d});
        m.put(p + "attn.qkv.weight", new int[] {3 * d, d});
        m.put(p + "attn.proj.weight", new int[] {d, d});
        m.put(p + "attn.proj.bias", new int[] {d});
        m.put(p + "norm2.weight", new int[] {d});
        m.put(p + "norm2.bias", new int[] {d});
        m.put(p + "mlp.fc1.weight", new int[] {4 * d, d});
        m.put(p + "mlp.fc1.bias", new int[] {4 * d});
        m.put(p + "mlp.fc2.weight", new int[] {d, 4 * d});
        m.put(p + "mlp.fc2.bias", new int[] {d});
    }

    @Test
    void decodeAllEncodedIsTheEncoderOnAllPatchesStraightIntoTheDecoder() {
        CaeConfig c = small().withPixelTarget();
        ContextAutoencoder cae = new ContextAutoencoder(c, be, new Rng(4));
        cae.train(false);
        int n = 2, l = c.numPatches();
        Tensor images = Tensor.of(be, new Rng(5).normal(n * 28 * 28, 0f, 1f), n, 1, 28, 28);
        Tensor out = cae.decodeAllEncoded(images);
        assertArrayEquals(new int[] {n, l, 16}, out.shape());                   // every patch, p²·C pixels each
        int[] idx = new int[n * l];
        for (int i = 0; i < idx.length; i++) idx[i] = i % l;
        Tensor all = Tensor.ofInts(be, idx, n, l);
        Tensor z = cae.encode(images, all);                                     // no neck: D = Dd, no projection
        float[] expected = cae.decode(z.narrow(1, 1, l), all).toArray();
        assertArrayEquals(expected, out.toArray(), 1e-6f);
    }

    @Test
    void differentNeckWidthAddsTheProjection() {
        CaeConfig c = small().withNeck(1, 1, 48, 3);
        ContextAutoencoder cae = new ContextAutoencoder(c, be, new Rng(2));
        Map<String, Parameter> p = cae.namedParameters();
        assertArrayEquals(new int[] {48, 32}, p.get("encoder_to_regresser.weight").shape());
        assertArrayEquals(new int[] {48}, p.get("encoder_to_regresser_norm.weight").shape());
        assertArrayEquals(new int[] {1, 50, 48}, cae.rdPosEmbed().shape());
        CaeOutput o = cae.forward(images(be, 3, 2), masks(c, 4, 2), null);
        assertArrayEquals(new int[] {2, 24, 48}, o.zmHat().shape());
        assertArrayEquals(new int[] {2, 24, 48}, o.alignTarget().shape());
        assertArrayEquals(new int[] {2, 26, 32}, o.latent().shape());
        assertArrayEquals(new int[] {2, 24, 16}, o.pred().shape());
        assertTrue(Float.isFinite(o.loss().item()));
    }

    private static Map<String, Long> trainableByPrefix(ContextAutoencoder cae) {
        Map<String, Long> out = new LinkedHashMap<>();
        cae.namedParameters().forEach((n, p) -> {
            if (p.trainable()) out.merge(n.contains(".") ? n.substring(0, n.indexOf('.')) : n, (long) p.numel(), Long::sum);
        });
        return out;
    }

    // ------------------------------------------------------------------ init

    /** docs/cae.md#initialisation, CAE default: truncated normal ±0.02 for tokens and the conv, xavier Linears, LN 1/0, γ, q/v bias 0. */
    @Test
    void initialisationFollowsTheOfficialDefault() {
        ContextAutoencoder cae = new ContextAutoencoder(small().withNeck(1, 1, 32, 2), be, new Rng(5));
        Map<String, Parameter> p = cae.namedParameters();
        // Truncated N(0, 0.02²) cut at ±1 std has std 0.02·√(1 − 2φ(1)/(2Φ(1) − 1)) = 0.010791.
        float[] conv = p.get("encoder.patch_embed.proj.weight").tensor().toArray();
        assertTrue(maxAbs(conv) <= 0.02f);
        assertEquals(0.010791, std(conv), 0.0015);
        assertEquals(0f, maxAbs(p.get("encoder.patch_embed.proj.bias").tensor().toArray()));
        assertTrue(maxAbs(p.get("encoder.cls_token").tensor().toArray()) <= 0.02f);
        assertTrue(maxAbs(p.get("mask_token").tensor().toArray()) <= 0.02f);
        assertTrue(maxAbs(p.get("mask_token").tensor().toArray()) > 0f);
        // The fused qkv is ONE xavier matrix [3D, D]: U(±√(6/(D + 3D))), std bound/√3.
        float[] qkv = p.get("encoder.blocks.1.attn.qkv.weight").tensor().toArray();
        double bound = Math.sqrt(6.0 / (32 + 96));
        assertTrue(maxAbs(qkv) <= bound && maxAbs(qkv) > 0.95 * bound);
        assertEquals(bound / Math.sqrt(3), std(qkv), 0.05 * bound);
        float[] head = p.get("decoder.head.weight").tensor().toArray();
        assertTrue(maxAbs(head) <= Math.sqrt(6.0 / (32 + 16)));
        assertTrue(maxAbs(p.get("regresser.regressor_blocks.0.cross_attn.k.weight").tensor().toArray()) <= Math.sqrt(6.0 / 64));
        for (var e : p.entrySet()) {
            String n = e.getKey();
            float[] v = e.getValue().tensor().toArray();
            if (n.endsWith(".bias") && !n.contains("patch_embed") || n.endsWith("q_bias") || n.endsWith("v_bias")) {
                assertEquals(0f, maxAbs(v), n);
            } else if (n.contains("norm") && n.endsWith(".weight")) {
                for (float x : v) assertEquals(1f, x, n);
            } else if (n.contains("gamma_")) {
                for (float x : v) assertEquals(0.1f, x, n);
            }
        }
    }

    /** fixInitWeight keeps BEiT's init: truncated normal Linears, block i's proj and fc2 divided by √(2i). */
    @Test
    void fixInitWeightKeepsTheRescaledBeitInit() {
        CaeConfig c = CaeConfig.of(ViTConfig.of(16, 4, 1, 64, 2, 2).withQvBias(true).withLayerScale(1e-5), 2, 2, 64, 2)
                .withFixInitWeight(true);
        Map<String, Parameter> p = new ContextAutoencoder(c, be, new Rng(6)).namedParameters();
        double s = 0.010791;
        String[][] cases = {
            {"encoder.blocks.0.attn.qkv.weight", "1"},
            {"encoder.blocks.0.attn.proj.weight", "2"},        // layer 1: /√2
            {"encoder.blocks.1.mlp.fc2.weight", "4"},          // layer 2: /√4
            {"encoder.blocks.1.mlp.fc1.weight", "1"},
            {"regresser.regressor_blocks.1.cross_attn.proj.weight", "4"},
            {"regresser.regressor_blocks.0.mlp_cross.fc2.weight", "2"},
            {"decoder.decoder_blocks.1.attn.proj.weight", "4"},
            {"decoder.head.weight", "1"},
        };
        for (String[] cs : cases) {
            float[] w = p.get(cs[0]).tensor().toArray();
            double expected = s / Math.sqrt(Double.parseDouble(cs[1]));
            assertEquals(expected, std(w), 0.06 * expected, cs[0]);
            assertTrue(maxAbs(w) <= 0.02 / Math.sqrt(Double.parseDouble(cs[1])) + 1e-7, cs[0]);
        }
        for (float x : p.get("decoder.decoder_blocks.0.gamma_2").tensor().toArray()) assertEquals(1e-5f, x);
    }

    private static float maxAbs(float[] v) {
        float m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    private static double std(float[] v) {
        double s = 0, s2 = 0;
        for (float x : v) {
            s += x;
            s2 += (double) x * x;
        }
        double mean = s / v.length;
        return Math.sqrt(s2 / v.length - mean * mean);
    }

    // ------------------------------------------------------------------ masks and stages

    @Test
    void maskIndicesAreRasterOrderAndCheckTheCount() {
        boolean[][] m = {{true, false, false, true, false}, {false, true, true, false, false}};
        MaskIndices idx = MaskIndices.of(be, m);
        assertArrayEquals(new int[] {0, 3, 1, 2}, idx.masked().toIntArray());
        assertArrayEquals(new int[] {1, 2, 4, 0, 3, 4}, idx.visible().toIntArray());
        assertArrayEquals(new int[] {2, 2}, idx.masked().shape());
        assertArrayEquals(new int[] {2, 3}, idx.visible().shape());
        MaskIndices fromFloat = MaskIndices.of(Tensor.of(be, new float[] {1, 0, 0, 1, 0, 0, 1, 1, 0, 0}, 2, 5));
        assertArrayEquals(idx.masked().toIntArray(), fromFloat.masked().toIntArray());
        assertThrows(IllegalArgumentException.class, () -> MaskIndices.of(be, new boolean[][] {{true, false}, {true, true}}));
        assertThrows(IllegalArgumentException.class, () -> MaskIndices.of(be, new boolean[][] {{false, false}}));
    }

    /** Stage shapes (docs/cae.md#one-training-step) and the teacher = the encoder on the masked patches, cls dropped. */
    @Test
    void stagesHaveThePipelineShapesAndTheTeacherIsTheEncoder() {
        CaeConfig c = small();
        ContextAutoencoder cae = new ContextAutoencoder(c, be, new Rng(7));
        Tensor x = images(be, 8, 2);
        MaskIndices idx = MaskIndices.of(be, masks(c, 9, 2));
        Tensor latent = cae.encode(x, idx.visible());
        assertArrayEquals(new int[] {2, 26, 32}, latent.shape());                 // 1 + Nv = 1 + 25
        Tensor zmHat = cae.regress(latent.narrow(1, 1, 25), idx.masked(), idx.visible());
        assertArrayEquals(new int[] {2, 24, 32}, zmHat.shape());
        assertArrayEquals(new int[] {2, 24, 16}, cae.decode(zmHat, idx.masked()).shape());

        Tensor target = cae.alignmentTarget(x, idx.masked());
        float[] direct = cae.encode(x, idx.masked()).narrow(1, 1, 24).contiguous().toArray();
        assertClose("teacher = encoder on masked patches", direct, target.toArray(), 0, 0);
        assertFalse(target.requiresGrad());
    }

    /**
     * The encoder's output for the visible set does not depend on the masked patches' pixels (they are never
     * embedded into the sequence), while the teacher's does not depend on the visible pixels.
     */
    @Test
    void encoderSeesOnlyItsPatches() {
        CaeConfig c = small();
        ContextAutoencoder cae = new ContextAutoencoder(c, be, new Rng(10));
        boolean[][] m = masks(c, 11, 1);
        MaskIndices idx = MaskIndices.of(be, m);
        float[] a = images(be, 12, 1).toArray(), b = a.clone(), v = a.clone();
        for (int r = 0; r < 28; r++) {
            for (int col = 0; col < 28; col++) {
                int patch = (r / 4) * 7 + col / 4;
                if (m[0][patch]) b[r * 28 + col] += 5f;      // change masked pixels only
                else v[r * 28 + col] -= 3f;                  // change visible pixels only
            }
        }
        Tensor ta = Tensor.of(be, a, 1, 1, 28, 28), tb = Tensor.of(be, b, 1, 1, 28, 28), tv = Tensor.of(be, v, 1, 1, 28, 28);
        assertClose("student", cae.encode(ta, idx.visible()).toArray(), cae.encode(tb, idx.visible()).toArray(), 0, 0);
        assertClose("teacher", cae.alignmentTarget(ta, idx.masked()).toArray(), cae.alignmentTarget(tv, idx.masked()).toArray(), 0, 0);
    }

    /** loss_main on pixels is MSE against MAE's norm-pix of the masked patches, computed here on the host. */
    @Test
    void pixelTargetIsNormPixOfTheMaskedPatches() {
        CaeConfig c = small();
        ContextAutoencoder cae = new ContextAutoencoder(c, be, new Rng(13));
        float[] img = images(be, 14, 2).toArray();
        boolean[][] m = masks(c, 15, 2);
        MaskIndices idx = MaskIndices.of(be, m);
        float[] got = cae.pixelTarget(Tensor.of(be, img, 2, 1, 28, 28), idx.masked()).toArray();
        float[] want = new float[2 * 24 * 16];
        int[] msk = idx.masked().toIntArray();
        for (int s = 0; s < 2; s++) {
            for (int j = 0; j < 24; j++) {
                int patch = msk[s * 24 + j], pr = patch / 7, pc = patch % 7;
                double[] v = new double[16];
                double mean = 0;
                for (int i = 0; i < 4; i++) for (int k = 0; k < 4; k++) mean += v[i * 4 + k] = img[s * 784 + (pr * 4 + i) * 28 + pc * 4 + k];
                mean /= 16;
                double var = 0;
                for (double x : v) var += (x - mean) * (x - mean);
                var /= 15;                                                     // unbiased
                for (int q = 0; q < 16; q++) want[(s * 24 + j) * 16 + q] = (float) ((v[q] - mean) / Math.sqrt(var + 1e-6));
            }
        }
        assertClose("norm-pix target", want, got, 1e-5, 1e-5);
    }

    // ------------------------------------------------------------------ losses and stop-gradient

    /**
     * Stop-gradient (docs/cae.md#alignment): the encoder's gradients from the full loss equal those from a loss in which the
     * alignment target is a constant made from its values. If any gradient flowed through the teacher pass, the
     * encoder would receive extra terms in the first case.
     */
    @Test
    void alignmentTargetIsAConstantForTheGradients() {
        CaeConfig c = small();
        Tensor x = images(be, 16, 2);
        boolean[][] m = masks(c, 17, 2);

        ContextAutoencoder full = new ContextAutoencoder(c, be, new Rng(18));
        full.forward(x, m, null).loss().backward();
        Map<String, float[]> gFull = encoderGrads(full);

        ContextAutoencoder manual = new ContextAutoencoder(c, be, new Rng(18));
        MaskIndices idx = MaskIndices.of(be, m);
        Tensor target = manual.alignmentTarget(x, idx.masked());
        Tensor constant = Tensor.of(be, target.toArray(), target.shape());    // a fresh leaf, no history
        Tensor latent = manual.encode(x, idx.visible());
        Tensor zmHat = manual.regress(latent.narrow(1, 1, 25), idx.masked(), idx.visible());
        Tensor pred = manual.decode(zmHat, idx.masked());
        Tensor loss = Loss.mse(pred, manual.pixelTarget(x, idx.masked())).add(Loss.mse(zmHat, constant).mul(2f));
        loss.backward();
        Map<String, float[]> gManual = encoderGrads(manual);

        assertEquals(gFull.keySet(), gManual.keySet());
        for (String n : gFull.keySet()) assertClose(n, gManual.get(n), gFull.get(n), 1e-7, 1e-5);
        assertTrue(maxAbs(gFull.get("encoder.blocks.0.attn.qkv.weight")) > 0, "the encoder does get gradients (student path)");
    }

    /**
     * Memory an op takes uninitialised is written before it is read: on a backend that hands out NaN there, a
     * step's losses, teacher target and every gradient are bit for bit those of the plain CPU backend.
     */
    @Test
    void aStepNeverReadsUninitialisedMemory() {
        assertArrayEquals(step(be), step(CallLog.poisoningUninitialized(be)));
    }

    private static float[] step(Backend b) {
        CaeConfig c = small().withTokenTarget(64);
        ContextAutoencoder cae = new ContextAutoencoder(c, b, new Rng(43));
        int[] ids = new int[2 * 49];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7) % 64;
        CaeOutput o = cae.forward(images(b, 44, 2), masks(c, 45, 2), Tensor.ofInts(b, ids, 2, 49));
        o.loss().backward();
        List<float[]> parts = new ArrayList<>(List.of(new float[] {o.lossMain().item(), o.lossAlign().item()}, o.alignTarget().toArray()));
        for (var p : cae.namedParameters().values()) if (p.trainable()) parts.add(p.tensor().grad().toArray());
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] all = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    /**
     * Every parameter's gradient agrees with the central difference of the loss along a random direction. The
     * alignment target is computed once and held fixed, as the stop-gradient makes it in training; the loss is
     * then exactly {@code forward}'s (Dd = D here, so there is no projection to the regressor width).
     */
    @Test
    void everyParametersGradientMatchesFiniteDifferences() {
        CaeConfig c = small();
        ContextAutoencoder cae = new ContextAutoencoder(c, be, new Rng(40));
        Tensor x = images(be, 41, 2);
        MaskIndices idx = MaskIndices.of(be, masks(c, 42, 2));
        Tensor teacher = cae.alignmentTarget(x, idx.masked());
        Tensor fixed = Tensor.of(be, teacher.toArray(), teacher.shape()), pixels = cae.pixelTarget(x, idx.masked());
        GradCheck.checkParameters("cae", cae.namedParameters(), () -> {
            Tensor zv = cae.encode(x, idx.visible()).narrow(1, 1, idx.numVisible());
            Tensor zmHat = cae.regress(zv, idx.masked(), idx.visible());
            return Loss.mse(cae.decode(zmHat, idx.masked()), pixels).add(Loss.mse(zmHat, fixed).mul(2f));
        });
    }

    /** The teacher pass records nothing: its output has no history, so nothing can be back-propagated through it. */
    @Test
    void teacherPassRecordsNothing() {
        CaeConfig c = small();
        ContextAutoencoder cae = new ContextAutoencoder(c, be, new Rng(19));
        MaskIndices idx = MaskIndices.of(be, masks(c, 20, 2));
        Tensor target = cae.alignmentTarget(images(be, 21, 2), idx.masked());
        assertFalse(target.requiresGrad());
        Tensor l = Loss.mse(target, Tensor.zeros(be, target.shape()));
        assertFalse(l.requiresGrad(), "a loss of the teacher alone has no graph");
        assertThrows(IllegalStateException.class, l::backward);
        for (var e : cae.namedParameters().entrySet()) assertNull(e.getValue().tensor().grad(), e.getKey());
        // Only the alignment loss: the encoder's gradient comes from the student path (through Zv) alone, and
        // the decoder gets none.
        CaeOutput o = cae.forward(images(be, 21, 2), idx, null);
        o.lossAlign().backward();
        assertNotNull(cae.namedParameters().get("encoder.blocks.0.attn.qkv.weight").tensor().grad());
        assertNull(cae.namedParameters().get("decoder.head.weight").tensor().grad());
    }

    /**
     * Initial token CE ≈ ln K: the head reads an LN output (each row mean 0, variance 1) through a xavier weight
     * (variance 2/(Dd + K)), so logits are ≈ N(0, σ²) with σ² = Dd·2/(Dd + K), independent of random labels,
     * and E[CE] = E[logsumexp] ≈ ln K + σ²/2.
     */
    @Test
    void initialTokenLossIsLogK() {
        int k = 512;
        CaeConfig c = small().withTokenTarget(k);
        ContextAutoencoder cae = new ContextAutoencoder(c, be, new Rng(22));
        int n = 4;
        Rng r = new Rng(23);
        int[] ids = new int[n * 49];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(k);
        CaeOutput o = cae.forward(images(be, 24, n), masks(c, 25, n), Tensor.ofInts(be, ids, n, 49));
        assertArrayEquals(new int[] {n, 24, k}, o.pred().shape());
        double sigma2 = 32 * 2.0 / (32 + k);
        assertEquals(Math.log(k) + sigma2 / 2, o.lossMain().item(), 0.1);
        assertEquals(o.lossMain().item() + 2 * o.lossAlign().item(), o.loss().item(), 1e-4);
    }

    /**
     * Initial alignment MSE is small and bounded: Ẑm and the target are both LN outputs (weight 1, bias 0), so each
     * row has mean 0 and variance ≈ 1 and MSE = 2·(1 − mean row cosine) ∈ [0, 4] — about 2 when unrelated,
     * whatever the scale of the inputs. Checked against that identity on the host.
     */
    @Test
    void initialAlignmentLossIsTwiceOneMinusCosine() {
        CaeConfig c = small();
        ContextAutoencoder cae = new ContextAutoencoder(c, be, new Rng(26));
        CaeOutput o = cae.forward(images(be, 27, 3).mul(10f), masks(c, 28, 3), null);
        float[] a = o.zmHat().toArray(), b = o.alignTarget().toArray();
        int rows = 3 * 24, d = 32;
        double cos = 0;
        for (int i = 0; i < rows; i++) {
            double ab = 0, aa = 0, bb = 0;
            for (int j = 0; j < d; j++) {
                ab += a[i * d + j] * b[i * d + j];
                aa += a[i * d + j] * a[i * d + j];
                bb += b[i * d + j] * b[i * d + j];
            }
            cos += ab / Math.sqrt(aa * bb) / rows;
        }
        float align = o.lossAlign().item();
        assertEquals(2 * (1 - cos), align, 1e-3);
        assertTrue(align > 0 && align < 3, "initial alignment MSE " + align);
    }

    /** A short training run on a tiny config lowers the loss (fixed batch and masks, AdamW). */
    @Test
    void shortTrainingRunDecreasesTheLoss() {
        CaeConfig c = CaeConfig.of(ViTConfig.of(16, 4, 1, 32, 2, 2).withQvBias(true).withLayerScale(0.1), 1, 1, 32, 2)
                .withNumMasked(8);
        ContextAutoencoder cae = new ContextAutoencoder(c, be, new Rng(29));
        ParameterStore store = new ParameterStore(be, cae);
        AdamW opt = new AdamW(store, AdamW.Config.pretrain(0.05f).withBetas(0.9f, 0.999f));
        // Smooth images (a random bright square on a dark background), so patches are predictable from context.
        Rng r = new Rng(30);
        int n = 8;
        float[] img = new float[n * 256];
        for (int s = 0; s < n; s++) {
            int top = r.nextInt(8), left = r.nextInt(8), size = 4 + r.nextInt(5);
            for (int i = 0; i < 16; i++) for (int j = 0; j < 16; j++) {
                boolean in = i >= top && i < top + size && j >= left && j < left + size;
                img[s * 256 + i * 16 + j] = (in ? 1f : -1f) + 0.1f * (float) r.nextGaussian() + 0.05f * j;
            }
        }
        Tensor x = Tensor.of(be, img, n, 1, 16, 16);
        boolean[][] m = masks(c, 31, n);
        float first = 0, last = 0;
        for (int step = 0; step < 40; step++) {
            store.zeroGrad();
            CaeOutput o = cae.forward(x, m, null);
            o.loss().backward();
            opt.step(1e-3f);
            if (step == 0) first = o.loss().item();
            last = o.loss().item();
        }
        assertTrue(last < 0.7f * first, "loss " + first + " → " + last);
    }

    private static Map<String, float[]> encoderGrads(ContextAutoencoder cae) {
        Map<String, float[]> out = new LinkedHashMap<>();
        cae.namedParameters().forEach((name, p) -> {
            if (name.startsWith("encoder.")) {
                Tensor g = p.tensor().grad();
                out.put(name, g == null ? new float[p.numel()] : g.toArray());
            }
        });
        return out;
    }
}
