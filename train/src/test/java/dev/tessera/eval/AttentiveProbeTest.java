package dev.tessera.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.random.Rng;
import dev.tessera.engine.testing.Backends;
import java.util.List;
import org.junit.jupiter.api.Test;

class AttentiveProbeTest {

    /**
     * Token sets where only ONE token carries the class — at a random position per sample, marked by a flag
     * dimension — and the others are noise. Averaging all tokens dilutes the signal; attending to the flagged
     * token recovers it.
     */
    static FeatureSet flaggedTokens(int n, int tokens, int dim, int classes, long seed) {
        Rng rng = new Rng(seed);
        Rng cr = new Rng(77);
        float[][] centre = new float[classes][];
        for (int k = 0; k < classes; k++) centre[k] = cr.normal(dim, 0f, 1f);
        float[] f = new float[n * tokens * dim];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            int hot = rng.nextInt(tokens);
            for (int t = 0; t < tokens; t++) {
                int off = (i * tokens + t) * dim;
                for (int j = 0; j < dim; j++) f[off + j] = (float) rng.nextGaussian();
                if (t == hot) {
                    for (int j = 1; j < dim; j++) f[off + j] = 2f * centre[y[i]][j] + 0.2f * (float) rng.nextGaussian();
                    f[off] = 8f;                                          // the flag
                }
            }
        }
        return new FeatureSet(f, y, tokens * dim, classes);
    }

    @Test
    void learnsToReadTheFlaggedToken() {
        int tokens = 6, dim = 16, classes = 4;
        FeatureSet train = flaggedTokens(1024, tokens, dim, classes, 1), test = flaggedTokens(512, tokens, dim, classes, 2);
        AttentiveProbe probe = new AttentiveProbe(Backends.cpu(), tokens, dim, 2, classes, new Rng(0));
        double[] loss = probe.fit(train, AttentiveProbe.recipe().withEpochs(20).withBatch(64), 5, null);
        assertTrue(loss[loss.length - 1] < 0.5 * loss[0], "loss " + loss[0] + " → " + loss[loss.length - 1]);
        double acc = probe.accuracy(test);
        assertTrue(acc >= 90, "test accuracy " + acc + " (chance 25)");
    }

    @Test
    void namesFollowLxtghsAttentiveModel() {
        AttentiveProbe probe = new AttentiveProbe(Backends.cpu(), 5, 8, 2, 3, new Rng(0));
        assertEquals(List.of("query_token",
                "attentive_blocks.0.norm1_q.weight", "attentive_blocks.0.norm1_q.bias",
                "attentive_blocks.0.norm1_k.weight", "attentive_blocks.0.norm1_k.bias",
                "attentive_blocks.0.norm1_v.weight", "attentive_blocks.0.norm1_v.bias",
                "attentive_blocks.0.cross_attn.q_bias", "attentive_blocks.0.cross_attn.v_bias",
                "attentive_blocks.0.cross_attn.q.weight", "attentive_blocks.0.cross_attn.k.weight",
                "attentive_blocks.0.cross_attn.v.weight", "attentive_blocks.0.cross_attn.proj.weight",
                "attentive_blocks.0.cross_attn.proj.bias", "head.weight", "head.bias"),
                List.copyOf(probe.namedParameters().keySet()));
        assertEquals(40, probe.inputDim());
    }

    @Test
    void initIsTheOfficialOne() {
        // run_attentive.py: head.weight ~ N(0, 0.01); _init_weights: Linears trunc_normal(0.02), biases 0; query token 0.
        AttentiveProbe probe = new AttentiveProbe(Backends.cpu(), 5, 64, 4, 100, new Rng(3));
        var p = probe.namedParameters();
        assertEquals(0.01, std(p.get("head.weight").tensor().toArray()), 0.0005);
        for (String n : new String[] {"q", "k", "v", "proj"}) {
            assertEquals(0.02, std(p.get("attentive_blocks.0.cross_attn." + n + ".weight").tensor().toArray()), 0.001, n);
        }
        for (String n : new String[] {"head.bias", "attentive_blocks.0.cross_attn.proj.bias", "attentive_blocks.0.cross_attn.q_bias",
                "attentive_blocks.0.cross_attn.v_bias", "query_token"}) {
            for (float v : p.get(n).tensor().toArray()) assertEquals(0f, v, n);
        }
    }

    @Test
    void recipeIsNesterovSgdWithAFloor() {
        ProbeRecipe r = AttentiveProbe.recipe();
        assertEquals(ProbeRecipe.Optimizer.SGD, r.optimizer());
        assertTrue(r.nesterov());
        assertEquals(1e-6, r.minLr());
        assertEquals(0.0, LinearProbe.recipe().minLr());
        assertTrue(!LinearProbe.recipe().nesterov());
    }

    @Test
    void fitReadsEachEpochsFeatures() {
        // The on-the-fly mode: epoch e trains on the set for e. Feeding a different set from epoch 1 on must change
        // the result; asking for the sets in order 0, 1, 2 proves each epoch is fed once.
        int tokens = 4, dim = 8, classes = 2;
        FeatureSet a = flaggedTokens(128, tokens, dim, classes, 1), b = flaggedTokens(128, tokens, dim, classes, 9);
        List<Integer> asked = new java.util.ArrayList<>();
        ProbeRecipe r = AttentiveProbe.recipe().withEpochs(3).withBatch(32);
        double[] fresh = new AttentiveProbe(Backends.cpu(), tokens, dim, 2, classes, new Rng(0)).fit(e -> {
            asked.add(e);
            return e == 0 ? a : b;
        }, r, 5, null);
        double[] fixed = new AttentiveProbe(Backends.cpu(), tokens, dim, 2, classes, new Rng(0)).fit(a, r, 5, null);
        assertEquals(List.of(0, 1, 2), asked);
        assertEquals(fixed[0], fresh[0], 0.0);
        assertTrue(fixed[1] != fresh[1], "epoch 1 trained on other features but gave the same loss " + fresh[1]);
    }

    private static double std(float[] v) {
        double s = 0, s2 = 0;
        for (float x : v) {
            s += x;
            s2 += (double) x * x;
        }
        double m = s / v.length;
        return Math.sqrt(s2 / v.length - m * m);
    }
}
