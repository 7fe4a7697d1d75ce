package dev.tessera.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Close;
import dev.tessera.vit.Pool;
import dev.tessera.vit.testing.Naive;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VitForwardTest {

    @Test
    void printsTheDocumentedShapesAndMatchesADoublePrecisionForward() {
        var text = new ByteArrayOutputStream();
        VitForward.Result r = VitForward.run(new PrintStream(text, true, StandardCharsets.UTF_8));
        String printed = text.toString(StandardCharsets.UTF_8);
        for (String line : new String[] {"[2, 1, 28, 28]", "patch_embed          [2, 49, 192]", "[2, 50, 192]", "[2, 192]", "head                 [2, 10]"}) {
            assertTrue(printed.contains(line), "the example prints " + line + "; it printed:\n" + printed);
        }
        Tour.assertTranscript("VitForward", printed);
        float[][] want = naive(r.model().stateDict(), r.images().toArray());
        float[] feature;
        try (var noGrad = GradMode.noGrad()) {
            feature = r.model().features(r.images(), Pool.CLS).toArray();
        }
        Close.assertClose("vit-tiny-28 cls feature", want[0], feature, new int[] {2, 192}, 1e-4, 1e-3);
        // The head starts at std 2e-5 (MAE fine-tuning's init), so the logits are ~1e-4: compare them relatively.
        assertArrayEquals(new int[] {2, 10}, new int[] {2, r.logits().length / 2});
        double scale = 0;
        for (float v : want[1]) scale = Math.max(scale, Math.abs(v));
        Close.assertClose("vit-tiny-28 logits", want[1], r.logits(), new int[] {2, 10}, 1e-3 * scale, 1e-3);
    }

    /**
     * The classifier written out in double precision from its definition (timm's ViT with cls pooling): patch
     * vectors flattened channel-first through the patch-embedding weights, cls first, + position table, pre-norm
     * blocks (LN eps 1e-6, exact GELU), final LN, cls row, head. Only the weights come from the model.
     * Returns {cls features [2·192], logits [2·10]}.
     */
    static float[][] naive(Map<String, Tensor> w, float[] images) {
        int n = 2, p = 4, g = 7, l = g * g, d = 192, heads = 3, hidden = 768, t = 1 + l, classes = 10;
        double eps = 1e-6;
        float[] logits = new float[n * classes], features = new float[n * d];
        for (int s = 0; s < n; s++) {
            double[] patches = new double[l * p * p];
            for (int r = 0; r < g; r++)
                for (int c = 0; c < g; c++)
                    for (int i = 0; i < p; i++)
                        for (int j = 0; j < p; j++) patches[(r * g + c) * p * p + i * p + j] = images[s * 784 + (r * p + i) * 28 + c * p + j];
            double[] tok = Naive.linear(patches, l, p * p, get(w, "patch_embed.proj.weight"), get(w, "patch_embed.proj.bias"), d);
            double[] x = new double[t * d];
            float[] cls = get(w, "cls_token"), pos = get(w, "pos_embed");
            for (int k = 0; k < d; k++) x[k] = cls[k] + pos[k];
            for (int i = 0; i < l * d; i++) x[d + i] = tok[i] + pos[d + i];
            for (int b = 0; b < 12; b++) {
                String pre = "blocks." + b + ".";
                double[] h = Naive.layerNorm(x, t, d, get(w, pre + "norm1.weight"), get(w, pre + "norm1.bias"), eps);
                double[] qkv = Naive.linear(h, t, d, get(w, pre + "attn.qkv.weight"), get(w, pre + "attn.qkv.bias"), 3 * d);
                double[] a = Naive.linear(Naive.attentionHeads(qkv, t, d, heads), t, d, get(w, pre + "attn.proj.weight"), get(w, pre + "attn.proj.bias"), d);
                for (int i = 0; i < x.length; i++) x[i] += a[i];
                h = Naive.layerNorm(x, t, d, get(w, pre + "norm2.weight"), get(w, pre + "norm2.bias"), eps);
                h = Naive.gelu(Naive.linear(h, t, d, get(w, pre + "mlp.fc1.weight"), get(w, pre + "mlp.fc1.bias"), hidden));
                double[] m = Naive.linear(h, t, hidden, get(w, pre + "mlp.fc2.weight"), get(w, pre + "mlp.fc2.bias"), d);
                for (int i = 0; i < x.length; i++) x[i] += m[i];
            }
            double[] clsRow = java.util.Arrays.copyOf(Naive.layerNorm(x, t, d, get(w, "norm.weight"), get(w, "norm.bias"), eps), d);
            for (int k = 0; k < d; k++) features[s * d + k] = (float) clsRow[k];
            double[] out = Naive.linear(clsRow, 1, d, get(w, "head.weight"), get(w, "head.bias"), classes);
            for (int k = 0; k < classes; k++) logits[s * classes + k] = (float) out[k];
        }
        return new float[][] {features, logits};
    }

    private static float[] get(Map<String, Tensor> w, String name) {
        Tensor t = w.get(name);
        if (t == null) throw new AssertionError("no weight " + name + " in the state dict; keys: " + w.keySet());
        return t.toArray();
    }
}
