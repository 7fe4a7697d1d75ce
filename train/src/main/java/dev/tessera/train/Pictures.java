package dev.tessera.train;

import dev.tessera.viz.LossPlot;

/**
 * The run's figures as a {@link RunListener}: loss.png (the loss of every step, log scale) and recon.png
 * ({@link ReconstructionFigure}), redrawn at every checkpoint, and loss.png once more when a run fails.
 * Both need java.desktop (BufferedImage, ImageIO); a slim jlink'd runtime without it trains normally and the
 * summary says why the pictures are missing.
 */
public final class Pictures implements RunListener {
    private static final boolean POSSIBLE = ModuleLayer.boot().findModule("java.desktop").isPresent();

    @Override
    public void onCheckpoint(RunEvent run) {
        if (!POSSIBLE) {
            run.note("loss.png and recon.png skipped: this Java runtime has no java.desktop (a slim jlink'd runtime);"
                    + " metrics.jsonl has every logged loss and 'tessera reconstruct' draws the figure elsewhere");
            return;
        }
        writeLossPlot(run);
        boolean drawn = ReconstructionFigure.write(run.dir().file(RunDirectory.RECON_PNG), run.objective(), run.pictureImages(), run.seed());
        if (!drawn) run.note(RunDirectory.RECON_PNG + " skipped: " + run.objective().spec().describe() + " predicts no pixels");
        else if (!run.heldOut()) run.note(RunDirectory.RECON_PNG + " shows training images (no held-out set was given)");
    }

    @Override
    public void onEnd(RunEvent run, String failure) {
        if (failure != null && POSSIBLE) writeLossPlot(run);
    }

    private static void writeLossPlot(RunEvent run) {
        var losses = run.losses();
        double[] x = new double[losses.size()], y = new double[losses.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
            y[i] = losses.get(i);
        }
        new LossPlot(800, 500).title(run.objective().spec().describe() + " pretraining").xLabel("step").yLabel("loss").logScale(true)
                .series("train", x, y).write(run.dir().file(RunDirectory.LOSS_PNG));
    }

}
