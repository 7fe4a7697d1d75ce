package dev.tessera.cae;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.LayerNorm;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Block;
import dev.tessera.vit.PatchEmbed;
import dev.tessera.vit.PosEmbed2d;
import dev.tessera.vit.ViTConfig;
import dev.tessera.vit.ViTEncoder;
import java.util.ArrayList;
import java.util.List;

/**
 * CAE's encoder (official {@code VisionTransformerEncoder}, docs/cae.md#encoder): a BEiT-style ViT that runs on a chosen
 * subset of the patches — the visible ones for the student, the masked ones for the alignment teacher. It
 * never sees a mask token.
 * <pre>
 *   patch-embed all L patches, + their position rows → keep the chosen rows (raster order) → prepend cls
 *   (+ the zero row) → blocks → final norm
 * </pre>
 * — the shared {@link ViTEncoder} pass, with CAE's choice of patches in the middle.
 * Names as the checkpoint's {@code encoder.*}: {@code patch_embed.proj.*}, {@code cls_token} [1,1,D],
 * {@code pos_embed} [1,1+L,D] (fixed CAE-order sin-cos, a buffer), {@code blocks.i.*}, {@code norm.*} — the
 * same keys as vit's VisionTransformer, so a pretrained encoder loads into a classifier by name.
 */
public final class CaeEncoder extends Module {
    private final ViTConfig config;
    private final ViTEncoder encoder;

    /** Builds the layers; {@link ContextAutoencoder} applies CAE's init afterwards. */
    public CaeEncoder(ViTConfig config, Backend backend, Rng rng) {
        this.config = config;
        int d = config.dim();
        PatchEmbed patchEmbed = module("patch_embed",
                new PatchEmbed(backend, config.imgSize(), config.patchSize(), config.inChans(), d, rng));
        Parameter clsToken = parameter("cls_token", Tensor.zeros(backend, 1, 1, d));
        Tensor posEmbed = buffer("pos_embed", PosEmbed2d.tensor(backend, d, config.gridSize(), PosEmbed2d.Order.CAE));
        double[] dpr = Block.dropPathRates(config.dropPath(), config.depth());
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < config.depth(); i++) blocks.add(module("blocks." + i, Block.of(config, dpr[i], backend, rng)));
        LayerNorm norm = module("norm", new LayerNorm(backend, d, ViTConfig.LN_EPS));
        this.encoder = new ViTEncoder(patchEmbed, clsToken, posEmbed, blocks, norm);
    }

    /**
     * images [N, C, H, W], keep [N, K] int32 (patch indices in raster order) → [N, 1+K, D] after the final
     * norm; row 0 is cls.
     */
    public Tensor forward(Tensor images, Tensor keep) {
        Tensor x = encoder.embed(images);                                        // [N, L, D], + pos
        return encoder.encode(x.gather(1, keep));                                // [N, 1+K, D]
    }

    public ViTConfig config() {
        return config;
    }

    public PatchEmbed patchEmbed() {
        return encoder.patchEmbed();
    }

    public Parameter clsToken() {
        return encoder.clsToken();
    }

    public Tensor posEmbed() {
        return encoder.posEmbed();
    }

    public List<Block> blocks() {
        return encoder.blocks();
    }
}
