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
    void namesFollowCaesAttentiveModel() {
        AttentiveProbe probe = new AttentiveProbe(Backends.cpu(), 5, 8, 2, 3, new Rng(0));
        assertEquals(List.of("query_token",
                "attentive_blocks.0.norm_q.weight", "attentive_blocks.0.norm_q.bias",
                "attentive_blocks.0.norm_k.weight", "attentive_blocks.0.norm_k.bias",
                "attentive_blocks.0.norm_v.weight", "attentive_blocks.0.norm_v.bias",
                "attentive_blocks.0.cross_attn.q_bias", "attentive_blocks.0.cross_attn.v_bias",
                "attentive_blocks.0.cross_attn.q.weight", "attentive_blocks.0.cross_attn.k.weight",
                "attentive_blocks.0.cross_attn.v.weight", "attentive_blocks.0.cross_attn.proj.weight",
                "attentive_blocks.0.cross_attn.proj.bias", "head.weight", "head.bias"),
                List.copyOf(probe.namedParameters().keySet()));
        assertEquals(40, probe.inputDim());
    }
}
