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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * CAE's encoder (official {@code VisionTransformerEncoder}, docs/cae.md#encoder): a BEiT-style ViT that runs on a chosen
 * subset of the patches — the visible ones for the student, the masked ones for the alignment teacher. It
 * never sees a mask token.
 * <pre>
 *   patch-embed all L patches → keep the chosen rows (raster order) → prepend cls → + their position rows
 *   (cls gets the zero row) → blocks → final norm
 * </pre>
 * Names as the checkpoint's {@code encoder.*}: {@code patch_embed.proj.*}, {@code cls_token} [1,1,D],
 * {@code pos_embed} [1,1+L,D] (fixed CAE-order sin-cos, a buffer), {@code blocks.i.*}, {@code norm.*} — the
 * same keys as vit's VisionTransformer, so a pretrained encoder loads into a classifier by name.
 */
public final class CaeEncoder extends Module {
    private final ViTConfig config;
    private final PatchEmbed patchEmbed;
    private final Parameter clsToken;
    private final Tensor posEmbed;                       // [1, 1+L, D] fixed
    private final List<Block> blocks = new ArrayList<>();
    private final LayerNorm norm;

    /** Builds the layers; {@link ContextAutoencoder} applies CAE's init afterwards. */
    public CaeEncoder(ViTConfig config, Backend backend, Rng rng) {
        this.config = config;
        int d = config.dim();
        this.patchEmbed = module("patch_embed",
                new PatchEmbed(backend, config.imgSize(), config.patchSize(), config.inChans(), d, rng));
        this.clsToken = parameter("cls_token", Tensor.zeros(backend, 1, 1, d));
        this.posEmbed = buffer("pos_embed", PosEmbed2d.tensor(backend, d, config.gridSize(), PosEmbed2d.Order.CAE));
        double[] dpr = Block.dropPathRates(config.dropPath(), config.depth());
        for (int i = 0; i < config.depth(); i++) blocks.add(module("blocks." + i, Block.of(config, dpr[i], backend, rng)));
        this.norm = module("norm", new LayerNorm(backend, d, ViTConfig.LN_EPS));
    }

    /**
     * images [N, C, H, W], keep [N, K] int32 (patch indices in raster order) → [N, 1+K, D] after the final
     * norm; row 0 is cls.
     */
    public Tensor forward(Tensor images, Tensor keep) {
        int d = config.dim();
        Tensor x = patchEmbed.forward(images);                                   // [N, L, D]
        int n = x.dim(0);
        x = x.gather(1, keep);                                                   // [N, K, D]  chosen patches
        x = x.add(ContextAutoencoder.positionRows(posEmbed, keep));              // + their position rows
        Tensor cls = clsToken.tensor().add(posEmbed.narrow(1, 0, 1));            // [1, 1, D]  cls + zero row
        x = Tensor.concat(1, cls.expand(n, 1, d), x);                            // [N, 1+K, D]
        for (Block b : blocks) x = b.forward(x);
        return norm.forward(x);                                                  // [N, 1+K, D]
    }

    public ViTConfig config() {
        return config;
    }

    public PatchEmbed patchEmbed() {
        return patchEmbed;
    }

    public Parameter clsToken() {
        return clsToken;
    }

    public Tensor posEmbed() {
        return posEmbed;
    }

    public List<Block> blocks() {
        return Collections.unmodifiableList(blocks);
    }
}
