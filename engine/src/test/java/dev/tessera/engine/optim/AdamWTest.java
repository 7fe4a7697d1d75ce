package dev.tessera.engine.optim;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.testing.Backends;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AdamWTest {
    final Backend be = Backends.cpu();

    /** Parameters covering every grouping rule, in store order. */
    TinyModel model() {
        return new TinyModel(be,
                "cls_token", new int[] {1, 1, 2},      // 3-D: decayed (docs/mae.md#pretraining-recipe)
                "w", new int[] {2, 2},                 // decayed, merges with cls_token
                "norm.weight", new int[] {2},          // 1-D: no decay
                "blk.bias", new int[] {1, 2},          // 2-D but ".bias": no decay; scale 0.5 (differs from norm.weight)
                "blk.weight", new int[] {2, 2},        // decayed, scale 0.5
                "pos_embed", new int[] {1, 2, 2});     // extra no-decay name (fine-tuning, docs/mae.md#fine-tuning)
    }

    AdamW.Config config() {
        return AdamW.Config.pretrain(0.05f).withBetas(0.9f, 0.95f).withNoDecay(Set.of("pos_embed"))
                .withLrScale(n -> n.startsWith("blk.") ? 0.5 : 1.0);
    }

    @Test
    void groupsFollowTheDecayRuleAndMergeNeighbours() {
        ParameterStore store = new ParameterStore(be, model());
        List<ParamGroup> g = new AdamW(store, config()).groups();
        assertEquals(5, g.size(), g.toString());
        assertEquals(new ParamGroup(0, 6, 1.0, true, List.of("cls_token", "w")), g.get(0));
        assertEquals(new ParamGroup(6, 2, 1.0, false, List.of("norm.weight")), g.get(1));
        assertEquals(new ParamGroup(8, 2, 0.5, false, List.of("blk.bias")), g.get(2));
        assertEquals(new ParamGroup(10, 4, 0.5, true, List.of("blk.weight")), g.get(3));
        assertEquals(new ParamGroup(14, 4, 1.0, false, List.of("pos_embed")), g.get(4));
    }

    @Test
    void firstStepMatchesAHandComputedValue() {
        // Step 1 from m = v = 0: m̂ = g, v̂ = g², so p ← p·(1 − lr·wd) − lr·g/(|g| + eps).
        // "w"[0] starts at 0.1·3 = 0.3 (the 3rd value of TinyModel); with g = 0.2, lr 0.1, wd 0.05:
        // 0.3·(1 − 0.005) − 0.1·0.2/(0.2 + 1e-8) = 0.2985 − 0.099999995 = 0.198500005.
        ParameterStore store = new ParameterStore(be, model());
        AdamW opt = new AdamW(store, config());
        float[] g = new float[store.size()];
        g[2] = 0.2f;
        be.upload(g, store.grads());
        opt.step(0.1f);
        assertEquals(0.1985f, be.download(store.values())[2], 1e-7f);
        // norm.weight[0] (value 0.7, no decay, zero gradient): unchanged; blk.weight[0] (1.1, scale 0.5):
        // only decay, 1.1·(1 − 0.05·0.05) = 1.09725.
        assertEquals(0.7f, be.download(store.values())[6], 0f);
        assertEquals(1.1f * (1 - 0.05f * 0.05f), be.download(store.values())[10], 1e-7f);
    }

    @Test
    void threeStepsMatchTheTorchFormulaWithMixedGroups() {
        ParameterStore store = new ParameterStore(be, model());
        AdamW opt = new AdamW(store, config());
        int n = store.size();
        double[] p = new double[n], m = new double[n], v = new double[n];
        float[] p0 = be.download(store.values());
        for (int i = 0; i < n; i++) p[i] = p0[i];
        double[] scale = new double[n];
        boolean[] decay = new boolean[n];
        for (ParameterStore.Entry e : store.entries()) {
            for (int i = e.offset(); i < e.offset() + e.length(); i++) {
                scale[i] = e.name().startsWith("blk.") ? 0.5 : 1.0;
                decay[i] = e.name().equals("cls_token") || e.name().equals("w") || e.name().equals("blk.weight");
            }
        }
        float[] lrs = {1e-2f, 5e-3f, 2e-3f};
        Rng rng = new Rng(11);
        for (int t = 1; t <= 3; t++) {
            float[] g = rng.normal(n, 0, 1);
            be.upload(g, store.grads());
            opt.step(lrs[t - 1]);
            // torch.optim.AdamW (decoupled decay, bias-corrected moments), in double.
            double b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.05;
            for (int i = 0; i < n; i++) {
                double lr = (double) lrs[t - 1] * scale[i];
                p[i] *= 1 - lr * (decay[i] ? wd : 0);
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.pow(b1, t)), vHat = v[i] / (1 - Math.pow(b2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) expected[i] = (float) p[i];
        assertClose("params after 3 AdamW steps", expected, be.download(store.values()), 1e-7, 1e-5);
        assertEquals(3, opt.stepCount());
        AdamW.State s = opt.state();
        float[] m0 = s.m().get("w");
        for (int i = 0; i < 4; i++) assertEquals(m[2 + i], m0[i], 1e-6, "m of w[" + i + "]");
    }

    @Test
    void stateRoundTripResumesExactly() {
        Rng rng = new Rng(12);
        float[][] grads = {rng.normal(18, 0, 1), rng.normal(18, 0, 1), rng.normal(18, 0, 1)};
        ParameterStore a = new ParameterStore(be, model());
        AdamW optA = new AdamW(a, config());
        for (int t = 0; t < 2; t++) {
            be.upload(grads[t], a.grads());
            optA.step(1e-2f);
        }
        AdamW.State saved = optA.state();
        ParameterStore b = new ParameterStore(be, model());
        be.upload(be.download(a.values()), b.values());
        AdamW optB = new AdamW(b, config());
        optB.loadState(saved);
        assertEquals(2, optB.stepCount());
        be.upload(grads[2], a.grads());
        be.upload(grads[2], b.grads());
        optA.step(1e-2f);
        optB.step(1e-2f);
        assertArrayEquals(be.download(a.values()), be.download(b.values()));
    }

    @Test
    void loadStateListsEveryProblem() {
        ParameterStore store = new ParameterStore(be, model());
        AdamW opt = new AdamW(store, config());
        AdamW.State good = opt.state();
        Map<String, float[]> m = new LinkedHashMap<>(good.m());
        m.remove("w");
        m.put("blk.weight", new float[3]);
        m.put("head.weight", new float[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> opt.loadState(new AdamW.State(5, m, good.v())));
        String msg = e.getMessage();
        assertTrue(msg.contains("missing m of w") && msg.contains("m of blk.weight has 3 elements, parameter has 4")
                && msg.contains("unexpected head.weight"), msg);
        assertEquals(0, opt.stepCount());
    }
}
