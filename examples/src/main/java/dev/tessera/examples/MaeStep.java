package dev.tessera.examples;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.mae.MaeConfig;
import dev.tessera.mae.MaskedAutoencoder;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One MAE pre-training step of the CPU preset {@code mae-tiny}, printed shape by shape: patchify, random
 * masking (noise → argsort → ids_keep / ids_restore / mask), the encoder on the visible patches, the decoder
 * with mask tokens, the norm-pix loss on the removed patches, backward into the flat gradient store, the
 * gradient norm of each part, and one AdamW step. docs/architecture.md follows the same path through the code.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp examples/target/tessera-examples.jar dev.tessera.examples.MaeStep
 * </pre>
 */
public final class MaeStep {
    private MaeStep() {}

    /** Images per batch. */
    public static final int BATCH = 8;

    /**
     * What one step produced, on the host: the inputs, the stage outputs the loss is made of, and the loss before
     * and after the AdamW step (same images, same masks).
     *
     * @param images    [N, 1, 28, 28]
     * @param noise     [N, L] the masking noise
     * @param idsKeep   [N, len_keep] kept patches, in the order the encoder sees them
     * @param mask      [N, L] 1 = removed
     * @param pred      [N, L, p²·C] the decoder's prediction of every patch
     * @param gradNorms the L2 norm of each part's gradient (patch_embed, blocks, decoder_pred, …)
     */
    public record Result(MaeConfig config, float[] images, float[] noise, int[] idsKeep, float[] mask, float[] pred,
                         float loss, float lossAfterStep, Map<String, Double> gradNorms) {}

    public static Result run(PrintStream out) {
        Backend be = new CpuBackend(2);
        MaeConfig c = MaeConfig.preset("mae-tiny");
        MaskedAutoencoder mae = new MaskedAutoencoder(c, be, new Rng(0));
        int n = BATCH, l = c.numPatches(), keep = c.lenKeep();
        Rng data = new Rng(1);
        float[] images = data.normal(n * 28 * 28, 0f, 1f);           // stands in for a normalised batch
        float[] noise = data.uniform(n * l, 0f, 1f);                  // the trainer draws this per step
        out.printf("%s: %d patches of %d×%d, %.0f%% masked → %d visible%n", c.name(), l, c.encoder().patchSize(),
                c.encoder().patchSize(), 100 * c.maskRatio(), keep);

        ParameterStore store = new ParameterStore(be, mae);           // flat values + flat gradients, persistent
        AdamW opt = new AdamW(store, AdamW.Config.pretrain(0.05f));  // β (0.9, 0.95), weight decay 0.05
        float loss;
        float[] pred, mask;
        int[] idsKeep;
        try (StepScope step = be.openScope()) {                       // everything below is freed at the end
            Tensor imgs = Tensor.of(be, images, n, 1, 28, 28);
            Tensor nz = Tensor.of(be, noise, n, l);
            show(out, "images", imgs, "[N, C, H, W]");
            Tensor patches = mae.patchify(imgs);
            show(out, "patchify", patches, "[N, L, p²·C]  channel-last; the loss target before norm-pix");
            show(out, "noise", nz, "[N, L]        U[0, 1); the " + keep + " smallest per row are kept");
            MaskedAutoencoder.Masked m = mae.randomMasking(patches, c.maskRatio(), nz);
            show(out, "ids_shuffle", m.idsShuffle(), "[N, L]        argsort(noise), ascending");
            show(out, "ids_restore", m.idsRestore(), "[N, L]        argsort(ids_shuffle), the inverse permutation");
            show(out, "ids_keep", m.idsKeep(), "[N, len_keep] sample 0 keeps patches " + Arrays.toString(row(m.idsKeep().toIntArray(), 0, keep)));
            show(out, "mask", m.mask(), "[N, L]        1 = removed: " + (l - keep) + " per row");
            show(out, "visible patches", m.x(), "[N, len_keep, p²·C]  what the encoder gets to see");

            MaskedAutoencoder.Encoded e = mae.forwardEncoder(imgs, c.maskRatio(), nz);
            show(out, "encoder latent", e.latent(), "[N, 1+len_keep, D]  cls + visible tokens after blocks and norm");
            Tensor p = mae.forwardDecoder(e.latent(), e.idsRestore());
            show(out, "decoder pred", p, "[N, L, p²·C]  mask tokens filled in, un-shuffled, every patch predicted");
            Tensor lossT = mae.forwardLoss(imgs, p, e.mask());
            show(out, "loss", lossT, String.format("scalar        %.4f = mean MSE over the %d removed patches", lossT.item(), n * (l - keep)));
            lossT.backward();                                         // the tape → the flat gradient store

            loss = lossT.item();
            pred = p.toArray();
            mask = e.mask().toArray();
            idsKeep = e.idsKeep().toIntArray();
        }
        Map<String, Double> norms = gradNorms(store);
        out.println("gradient norms:");
        norms.forEach((part, g) -> out.printf("  %-16s %.4e%n", part, g));
        opt.step(1.5e-4f);
        store.zeroGrad();
        float after;
        try (StepScope again = be.openScope()) {
            after = mae.forward(Tensor.of(be, images, n, 1, 28, 28), c.maskRatio(), Tensor.of(be, noise, n, l)).loss().item();
        }
        out.printf("after one AdamW step (lr 1.5e-4): loss %.4f → %.4f on the same batch and masks%n", loss, after);
        return new Result(c, images, noise, idsKeep, mask, pred, loss, after, norms);
    }

    /** ‖g‖₂ per top-level part (the first segment of the parameter name: blocks.3.attn.qkv.weight → blocks). */
    static Map<String, Double> gradNorms(ParameterStore store) {
        float[] g = store.backend().download(store.grads());
        Map<String, Double> sq = new LinkedHashMap<>();
        for (ParameterStore.Entry e : store.entries()) {
            double s = 0;
            for (int i = e.offset(); i < e.offset() + e.length(); i++) s += (double) g[i] * g[i];
            sq.merge(e.name().split("\\.")[0], s, Double::sum);
        }
        sq.replaceAll((part, s) -> Math.sqrt(s));
        return sq;
    }

    private static int[] row(int[] a, int r, int cols) {
        return Arrays.copyOfRange(a, r * cols, (r + 1) * cols);
    }

    private static void show(PrintStream out, String stage, Tensor t, String note) {
        out.printf("  %-16s %-14s %s%n", stage, Arrays.toString(t.shape()), note);
    }

    public static void main(String[] args) {
        run(System.out);
    }
}
