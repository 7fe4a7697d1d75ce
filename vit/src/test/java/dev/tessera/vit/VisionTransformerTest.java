package dev.tessera.vit;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.ops.Loss;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import dev.tessera.vit.testing.Naive;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The classifier on the golden-sized config (28×28×1, patch 4, dim 32, depth 2, heads 2). */
class VisionTransformerTest {
    private final Backend be = Backends.cpu();
    private static final ViTConfig SMALL = ViTConfig.of(28, 4, 1, 32, 2, 2).withNumClasses(10).withPosLearnable(true);

    private Tensor images(int n, long seed) {
        Rng r = new Rng(seed);
        float[] v = new float[n * 28 * 28];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(be, v, n, 1, 28, 28);
    }

    @Test
    void parameterNamesAreTimms() {
        VisionTransformer vit = new VisionTransformer(SMALL, be, new Rng(1));
        List<String> names = List.copyOf(vit.stateDict().keySet());
        assertEquals(List.of("cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias"), names.subList(0, 4));
        assertEquals(List.of("blocks.0.norm1.weight", "blocks.0.norm1.bias", "blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias",
                "blocks.0.attn.proj.weight", "blocks.0.attn.proj.bias", "blocks.0.norm2.weight", "blocks.0.norm2.bias",
                "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias", "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias"),
                names.subList(4, 16));
        assertEquals(List.of("norm.weight", "norm.bias", "head.weight", "head.bias"), names.subList(names.size() - 4, names.size()));
        assertArrayEquals(new int[] {1, 1, 32}, vit.stateDict().get("cls_token").shape());
        assertArrayEquals(new int[] {1, 50, 32}, vit.stateDict().get("pos_embed").shape());
        assertArrayEquals(new int[] {10, 32}, vit.stateDict().get("head.weight").shape());
    }

    @Test
    void shapesFlowFromImagesToLogits() {
        VisionTransformer vit = new VisionTransformer(SMALL, be, new Rng(1));
        Tensor x = images(3, 2);
        assertArrayEquals(new int[] {3, 50, 32}, vit.forwardFeatures(x).shape());
        assertArrayEquals(new int[] {3, 32}, vit.features(x, Pool.CLS).shape());
        assertArrayEquals(new int[] {3, 32}, vit.features(x, Pool.AVG).shape());
        assertArrayEquals(new int[] {3, 10}, vit.forward(x).shape());
    }

    @Test
    void clsFeatureIsRowZeroAfterNormAndAvgIsTheMeanOfPatchTokens() {
        VisionTransformer vit = new VisionTransformer(SMALL, be, new Rng(1));
        Tensor x = images(2, 3);
        float[] tokens = vit.forwardFeatures(x).toArray(); // [2, 50, 32]
        float[] cls = vit.features(x, Pool.CLS).toArray(), avg = vit.features(x, Pool.AVG).toArray();
        float[] refCls = new float[64], refAvg = new float[64];
        for (int n = 0; n < 2; n++)
            for (int d = 0; d < 32; d++) {
                refCls[n * 32 + d] = tokens[n * 50 * 32 + d];
                double s = 0;
                for (int t = 1; t < 50; t++) s += tokens[(n * 50 + t) * 32 + d];
                refAvg[n * 32 + d] = (float) (s / 49);
            }
        assertArrayEquals(refCls, cls);
        assertClose("avg of normed patch tokens", refAvg, avg, 1e-6, 1e-5);
    }

    @Test
    void globalPoolModelAveragesRawTokensThenFcNorm() {
        VisionTransformer vit = new VisionTransformer(SMALL.withPool(Pool.AVG), be, new Rng(1));
        assertTrue(vit.stateDict().containsKey("fc_norm.weight"));
        assertFalse(vit.stateDict().containsKey("norm.weight"));
        Tensor x = images(2, 4);
        float[] tokens = vit.forwardFeatures(x).toArray();
        double[] mean = new double[64];
        for (int n = 0; n < 2; n++)
            for (int d = 0; d < 32; d++) {
                for (int t = 1; t < 50; t++) mean[n * 32 + d] += tokens[(n * 50 + t) * 32 + d];
                mean[n * 32 + d] /= 49;
            }
        float[] w = vit.stateDict().get("fc_norm.weight").toArray(), b = vit.stateDict().get("fc_norm.bias").toArray();
        assertClose("fc_norm(mean)", Naive.toFloat(Naive.layerNorm(mean, 2, 32, w, b, 1e-6)), vit.features(x, Pool.AVG).toArray(), 1e-5, 1e-4);
        var e = assertThrows(IllegalArgumentException.class, () -> vit.features(x, Pool.CLS));
        assertTrue(e.getMessage().contains("fc_norm"), e.getMessage());
    }

    @Test
    void initFollowsMae() {
        VisionTransformer vit = new VisionTransformer(ViTConfig.preset("vit-tiny-28"), be, new Rng(1));
        Map<String, Tensor> sd = vit.stateDict();
        assertArrayEquals(PosEmbed2d.table(192, 7, true, PosEmbed2d.Order.MAE), sd.get("pos_embed").toArray(),
                "learnable pos_embed starts as the sin-cos table");
        float[] head = sd.get("head.weight").toArray();
        double sq = 0;
        for (float v : head) sq += v * v;
        assertEquals(2e-5, Math.sqrt(sq / head.length), 0.2e-5, "head std 2e-5 (MAE fine-tuning)");
        for (float v : sd.get("head.bias").toArray()) assertEquals(0f, v);
        float[] cls = sd.get("cls_token").toArray();
        sq = 0;
        for (float v : cls) sq += v * v;
        assertEquals(0.02, Math.sqrt(sq / cls.length), 0.006, "cls token N(0, 0.02)");
        for (float v : sd.get("blocks.3.norm2.weight").toArray()) assertEquals(1f, v);
        for (float v : sd.get("norm.bias").toArray()) assertEquals(0f, v);
    }

    /**
     * Every parameter's gradient agrees with the central difference of the loss along a random direction, for
     * both poolings. The head is re-drawn at a larger scale so that the gradients below it are not ~2e-5 small.
     */
    @Test
    void everyParametersGradientMatchesFiniteDifferences() {
        for (Pool pool : Pool.values()) {
            VisionTransformer vit = new VisionTransformer(SMALL.withPool(pool), be, new Rng(1));
            vit.head().weight().tensor().copyFrom(new Rng(2).uniform(10 * 32, -0.3f, 0.3f));
            Tensor x = images(2, 5);
            Tensor labels = Tensor.ofInts(be, new int[] {3, 7}, 2);
            GradCheck.checkParameters("vit " + pool, vit.namedParameters(), () -> Loss.crossEntropy(vit.forward(x), labels, 0f));
            for (Map.Entry<String, Parameter> e : vit.namedParameters().entrySet()) {
                assertNotNull(e.getValue().tensor().grad(), e.getKey() + " got no gradient");
            }
        }
    }

    @Test
    void stateDictRoundTripsByName() {
        VisionTransformer a = new VisionTransformer(SMALL, be, new Rng(1)), b = new VisionTransformer(SMALL, be, new Rng(2));
        Tensor x = images(2, 6);
        Map<String, float[]> values = new HashMap<>();
        Map<String, int[]> shapes = new HashMap<>();
        a.stateDict().forEach((k, v) -> {
            values.put(k, v.toArray());
            shapes.put(k, v.shape());
        });
        b.loadStateDict(values, shapes);
        assertArrayEquals(a.forward(x).toArray(), b.forward(x).toArray());
    }

    @Test
    void wrongImageShapeNamesExpectedAndActual() {
        VisionTransformer vit = new VisionTransformer(SMALL, be, new Rng(1));
        var e = assertThrows(ShapeException.class, () -> vit.forward(Tensor.zeros(be, 2, 3, 224, 224)));
        assertTrue(e.getMessage().contains("[1, 28, 28]") && e.getMessage().contains("[3, 224, 224]"), e.getMessage());
    }
}
