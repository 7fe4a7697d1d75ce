package dev.tessera.train;

import dev.tessera.data.Dataset;
import dev.tessera.data.Normalize;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.mae.MaeConfig;
import dev.tessera.mae.MaskedAutoencoder;
import dev.tessera.mae.MaskingStrategy;
import dev.tessera.viz.ImageGrid;
import dev.tessera.viz.PatchMask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * MAE's pictures of one model under other masks than it trained with (He et al. 2022): the same images
 * reconstructed at mask ratios 0.5 to 0.95 (Fig. 4), and under random 75%, block-wise 50% and grid-wise 75% masking
 * (Fig. 6, the {@link MaskingStrategy} ablation). Each reconstruction shows the visible patches pasted back, as the
 * paper does; with norm-pix targets the removed patches are drawn with their originals' statistics
 * ({@link MaskedAutoencoder#reconstruct}).
 * <pre>
 *   RATIOS:     per image two rows — masked inputs, then reconstructions — columns original, 50%, 60%, … 95%
 *   STRATEGIES: per image one row — original, then (masked, reconstruction) for random 75%, block 50%, grid 75%
 * </pre>
 * The images and masks come from the figure's own generators ({@link ReconstructionFigure}), so two checkpoints draw
 * the same images under the same masks.
 */
public final class MaskingFigure {
    /** The mask ratios of the ratio figure. */
    public static final double[] RATIOS = {0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};
    /** Images in each figure. */
    public static final int IMAGES = 4;

    /** Which picture. */
    public enum Kind { RATIOS, STRATEGIES }

    private record Masking(String title, MaskingStrategy strategy, double ratio) {}

    private static final List<Masking> STRATEGIES = List.of(
            new Masking("random 75%", MaskingStrategy.RANDOM, 0.75),
            new Masking("block 50%", MaskingStrategy.BLOCK, 0.5),
            new Masking("grid 75%", MaskingStrategy.GRID, 0.75));

    private MaskingFigure() {}

    /** Draws {@code kind} for {@code objective}'s MAE on images of {@code heldOut} into {@code png}. */
    @SuppressWarnings("try") // the no-grad handle is only closed
    public static void write(Path png, Kind kind, MaeObjective objective, Dataset heldOut, long seed) {
        MaskedAutoencoder model = objective.model();
        MaeConfig c = model.config();
        int n = Math.min(IMAGES, heldOut.size());
        int ch = heldOut.channels(), h = heldOut.height(), w = heldOut.width(), size = ch * h * w, p = c.encoder().patchSize();
        float[] images = ReconstructionFigure.images(heldOut, n, seed);
        List<Masking> maskings = new ArrayList<>();
        if (kind == Kind.RATIOS) for (double r : RATIOS) maskings.add(new Masking(percent(r), MaskingStrategy.RANDOM, r));
        else maskings.addAll(STRATEGIES);

        Rng rng = ReconstructionFigure.maskRng(seed);
        float[][] masks = new float[maskings.size()][], recon = new float[maskings.size()][];
        boolean wasTraining = model.isTraining();
        model.train(false);
        Backend be = objective.backend();
        try (var off = GradMode.noGrad()) {
            for (int k = 0; k < maskings.size(); k++) {
                Masking m = maskings.get(k);
                int l = c.numPatches(), keep = MaeConfig.lenKeep(l, m.ratio());
                masks[k] = MaeObjective.mask(m.strategy().noise(n, c.encoder().gridSize(), keep, rng), n, l, keep);
                try (StepScope s = be.openScope()) {
                    Tensor imgs = Tensor.of(be, images, n, ch, h, w);
                    recon[k] = model.reconstruct(imgs, Tensor.of(be, masks[k], n, l)).predicted().toArray();
                }
            }
        } finally {
            model.train(wasTraining);
        }

        Normalize norm = Normalize.forChannels(ch);
        List<String> titles = new ArrayList<>(List.of("original"));
        for (Masking m : maskings) {
            if (kind == Kind.RATIOS) titles.add(m.title());
            else titles.addAll(List.of(m.title(), "reconstruction"));
        }
        ImageGrid grid = new ImageGrid(ch, h, w).titles(titles.toArray(String[]::new));
        int l = c.numPatches();
        for (int i = 0; i < n; i++) {
            float[] orig = norm.denormalize(images, i * size, ch, h, w);
            List<float[]> maskedRow = new ArrayList<>(List.of(orig)), reconRow = new ArrayList<>(List.of(orig));
            for (int k = 0; k < maskings.size(); k++) {
                float[] mask = java.util.Arrays.copyOfRange(masks[k], i * l, (i + 1) * l);
                float[] pred = norm.denormalize(recon[k], i * size, ch, h, w);
                maskedRow.add(PatchMask.masked(orig, ch, h, w, p, mask));
                reconRow.add(PatchMask.pasteVisible(orig, pred, ch, h, w, p, mask));
            }
            if (kind == Kind.RATIOS) {
                grid.addRow(maskedRow.toArray(float[][]::new));
                grid.addRow(reconRow.toArray(float[][]::new));
            } else {
                List<float[]> row = new ArrayList<>(List.of(orig));
                for (int k = 0; k < maskings.size(); k++) {
                    row.add(maskedRow.get(k + 1));
                    row.add(reconRow.get(k + 1));
                }
                grid.addRow(row.toArray(float[][]::new));
            }
        }
        grid.write(png);
    }

    private static String percent(double r) {
        return String.format(Locale.ROOT, "%d%%", Math.round(r * 100));
    }
}
