package dev.tessera.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.vit.Block;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.VisionTransformer;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClsAttentionTest {

    @Test
    void rowsAreProbabilitiesAndReproduceTheFusedAttentionOutput() {
        for (ViTConfig cfg : new ViTConfig[] {ViTConfig.of(8, 4, 1, 16, 2, 2), ViTConfig.of(8, 4, 1, 16, 2, 2).withQvBias(true)}) {
            VisionTransformer vit = new VisionTransformer(cfg, Backends.cpu(), new Rng(1));
            // Non-zero q/v biases, so that the BEiT bias path is exercised.
            vit.namedParameters().forEach((n, p) -> {
                if (n.endsWith("q_bias") || n.endsWith("v_bias")) {
                    p.tensor().copyFrom(new Rng(n.length()).normal(16, 0f, 0.5f));
                }
            });
            Tensor images = Tensor.of(Backends.cpu(), new Rng(2).normal(3 * 64, 0f, 1f), 3, 1, 8, 8);
            int heads = 2, t = 5, dh = 8;
            float[] rows = ClsAttention.rows(vit, images);
            for (int r = 0; r < 3 * heads; r++) {
                double sum = 0;
                for (int j = 0; j < t; j++) sum += rows[r * t + j];
                assertEquals(1.0, sum, 1e-5, "row " + r);
            }
            // Σ_j p_j·v_j of the cls query, projected, must equal row 0 of the block's own (fused) attention output.
            try (var _ = GradMode.noGrad()) {
                Map<String, Tensor> state = vit.stateDict();
                Tensor x = vit.patchEmbed().forward(images);
                x = Tensor.concat(1, state.get("cls_token").expand(3, 1, 16), x).add(state.get("pos_embed"));
                x = vit.blocks().get(0).forward(x);
                Block last = vit.blocks().get(1);
                Tensor y = ((LayerNorm) last.children().get("norm1")).forward(x);
                float[] fused = last.attn().forward(y).toArray();                              // [3, 5, 16]
                Tensor bias = cfg.qvBias()
                        ? Tensor.concat(0, state.get("blocks.1.attn.q_bias"), Tensor.zeros(Backends.cpu(), 16), state.get("blocks.1.attn.v_bias"))
                        : state.get("blocks.1.attn.qkv.bias");
                float[] qkv = y.linear(state.get("blocks.1.attn.qkv.weight"), bias).toArray();  // [3, 5, 48]
                float[] mixed = new float[3 * 16];
                for (int i = 0; i < 3; i++) {
                    for (int h = 0; h < heads; h++) {
                        for (int e = 0; e < dh; e++) {
                            double s = 0;
                            for (int j = 0; j < t; j++) s += rows[(i * heads + h) * t + j] * qkv[(i * t + j) * 48 + 32 + h * dh + e];
                            mixed[i * 16 + h * dh + e] = (float) s;
                        }
                    }
                }
                float[] projected = Tensor.of(Backends.cpu(), mixed, 3, 16)
                        .linear(state.get("blocks.1.attn.proj.weight"), state.get("blocks.1.attn.proj.bias")).toArray();
                for (int i = 0; i < 3; i++) {
                    for (int c = 0; c < 16; c++) assertEquals(fused[i * 5 * 16 + c], projected[i * 16 + c], 1e-4, "image " + i + " dim " + c);
                }
            }
        }
    }

    @Test
    void patchMapsAverageHeadsOverPatchColumns() {
        // one image, 2 heads, cls + 2 patches
        float[] rows = {0.2f, 0.5f, 0.3f, 0.6f, 0.1f, 0.3f};
        float[] maps = ClsAttention.patchMaps(rows, 1, 2, 3);
        assertEquals(0.3f, maps[0], 1e-6);
        assertEquals(0.3f, maps[1], 1e-6);
    }
}
