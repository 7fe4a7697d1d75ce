package dev.tessera.eval;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Attention;
import dev.tessera.vit.Block;
import dev.tessera.vit.VisionTransformer;
import java.util.Map;

/**
 * Where the cls token looks in the last block (DINO's attention figure, Caron et al. 2021 Fig. 1): the
 * softmax row of the cls query over all keys, per head, in the encoder's last block.
 *
 * <p>The fused attention op never materialises the probability matrix (it keeps only the log-sum-exp, see
 * {@code AttentionOp}), so this class recomputes that one row explicitly for the last block from the block's
 * own weights: run the encoder up to the last block, apply its {@code norm1} and {@code qkv} projection
 * (with timm's qkv bias or BEiT's q/v biases), and take softmax(q_cls·kᵀ·(D/h)^−½) over the 1 + L keys.
 * The map drawn over the image is the mean over heads of the L patch entries (the cls→cls entry is left out,
 * so a map sums to 1 minus that entry).
 */
public final class ClsAttention {
    private ClsAttention() {}

    /**
     * The cls row of the last block's attention for each image: [N, heads, 1 + L] probabilities (each
     * [n, head] row sums to 1; column 0 is the cls key).
     *
     * @param images [N, C, H, W] on the encoder's backend
     */
    public static float[] rows(VisionTransformer vit, Tensor images) {
        var cfg = vit.config();
        if (cfg.depth() < 1) throw new IllegalArgumentException("the encoder has no blocks, so no attention to show");
        int n = images.dim(0), d = cfg.dim(), heads = cfg.heads(), dh = d / heads, t = 1 + cfg.numPatches();
        double scale = Math.pow(dh, -0.5);
        Backend be = images.backend();
        float[] qkv;
        boolean was = vit.isTraining();
        vit.train(false);
        try (var _ = GradMode.noGrad(); StepScope _ = be.openScope()) {
            Tensor x = vit.forwardTokens(images, cfg.depth() - 1);                    // [N, 1+L, D] into the last block
            var blocks = vit.blocks();
            Block last = blocks.getLast();
            Tensor y = ((LayerNorm) last.children().get("norm1")).forward(x);                   // [N, 1+L, D]
            qkv = y.linear(last.attn().qkv().weight().tensor(), qkvBias(last.attn(), be, d)).toArray(); // [N, 1+L, 3D]
        } finally {
            vit.train(was);
        }
        // qkv row of token j of image i: [q | k | v], each D split head-major into h × dh (docs/vit.md#block)
        float[] out = new float[n * heads * t];
        double[] s = new double[t];
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < heads; h++) {
                int qOff = (i * t) * 3 * d + h * dh;                       // token 0 (cls), q part, head h
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    int kOff = (i * t + j) * 3 * d + d + h * dh;           // token j, k part, head h
                    double dot = 0;
                    for (int e = 0; e < dh; e++) dot += (double) qkv[qOff + e] * qkv[kOff + e];
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < t; j++) z += (s[j] = Math.exp(s[j] - max));
                for (int j = 0; j < t; j++) out[(i * heads + h) * t + j] = (float) (s[j] / z);
            }
        }
        return out;
    }

    /** Per image, the mean over heads of the patch columns of {@link #rows}: [N, L] in raster order (a G×G map). */
    public static float[] patchMaps(float[] rows, int n, int heads, int tokens) {
        int l = tokens - 1;
        float[] maps = new float[n * l];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < l; p++) {
                double sum = 0;
                for (int h = 0; h < heads; h++) sum += rows[(i * heads + h) * tokens + 1 + p];
                maps[i * l + p] = (float) (sum / heads);
            }
        }
        return maps;
    }

    /** The qkv bias as Attention.forward builds it: timm's {@code qkv.bias}, BEiT's [q_bias | 0 | v_bias], or none. */
    private static Tensor qkvBias(Attention attn, Backend be, int d) {
        Map<String, Parameter> p = attn.namedParameters();
        if (p.containsKey("q_bias")) {
            return Tensor.concat(0, p.get("q_bias").tensor(), Tensor.zeros(be, d), p.get("v_bias").tensor());
        }
        return attn.qkv().bias() == null ? null : attn.qkv().bias().tensor();
    }
}
