package dev.tessera.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.testing.Backends;
import dev.tessera.vit.testing.MetaBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * docs/vit.md#presets: encoder + 1000-class head, position table included (learnable in the timm classifier), counted
 * over a real module tree — not from the formula — so a missing or extra parameter anywhere shows up.
 * The small models are built on the CPU backend; B/L/H on the shape-only {@link MetaBackend} (every
 * constructor and initialiser still runs, but 0.3–2.5 GB of weights are not kept).
 */
class ParameterCountTest {

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "vit-tiny-patch16, 5717416, cpu",
        "vit-small-patch16, 22050664, cpu",
        "vit-base-patch16, 86567656, meta",
        "vit-large-patch16, 304326632, meta",
        "vit-huge-patch14, 632045800, meta",
    })
    void classifierCountsMatchSpec(String preset, long expected, String backend) {
        Backend be = backend.equals("cpu") ? Backends.cpu() : new MetaBackend();
        ViTConfig cfg = ViTConfig.preset(preset);
        VisionTransformer vit = new VisionTransformer(cfg, be, new Rng(1));
        assertEquals(expected, vit.parameterCount(true), preset + " trainable parameters");
        assertEquals(0, vit.namedBuffers().size(), "learnable position table is a parameter, not a buffer");
        // Per block 12D² + 13D (docs/vit.md#presets), checked on the tree's own block 0.
        long d = cfg.dim(), block0 = vit.namedParameters().entrySet().stream()
                .filter(e -> e.getKey().startsWith("blocks.0.")).mapToLong(e -> e.getValue().numel()).sum();
        assertEquals(12 * d * d + 13 * d, block0, preset + " block 0");
    }

    @Test
    void averagePoolingSwapsNormForFcNormWithTheSameCount() {
        ViTConfig cfg = ViTConfig.preset("vit-base-patch16").withPool(Pool.AVG);
        VisionTransformer vit = new VisionTransformer(cfg, new MetaBackend(), new Rng(1));
        assertEquals(86_567_656L, vit.parameterCount(true));
        assertTrue(vit.namedParameters().containsKey("fc_norm.weight"));
        assertTrue(vit.namedParameters().keySet().stream().noneMatch(n -> n.startsWith("norm.")));
    }

    @Test
    void fixedPositionTableIsABufferNotAParameter() {
        ViTConfig cfg = ViTConfig.preset("vit-base-patch16").withPosLearnable(false);
        VisionTransformer vit = new VisionTransformer(cfg, new MetaBackend(), new Rng(1));
        assertEquals(86_567_656L - 197 * 768, vit.parameterCount(true));
        assertEquals(197 * 768, vit.namedBuffers().get("pos_embed").numel());
    }

    @Test
    void beitStyleEncoderMatchesCaeBaseCount() {
        // docs/cae.md#parameter-counts: CAE-B encoder (q/v bias, LayerScale) 85,656,576 = MAE-B encoder − 12·768 (no k bias) + 12·1536 (γ).
        ViTConfig cfg = ViTConfig.preset("vit-base-patch16").asEncoder().withQvBias(true).withLayerScale(0.1);
        VisionTransformer vit = new VisionTransformer(cfg, new MetaBackend(), new Rng(1));
        assertEquals(85_656_576L, vit.parameterCount(true));
        assertTrue(vit.namedParameters().containsKey("blocks.11.attn.q_bias"));
        assertTrue(vit.namedParameters().containsKey("blocks.11.attn.v_bias"));
        assertTrue(vit.namedParameters().containsKey("blocks.11.gamma_2"));
        assertTrue(!vit.namedParameters().containsKey("blocks.11.attn.qkv.bias"));
    }
}
