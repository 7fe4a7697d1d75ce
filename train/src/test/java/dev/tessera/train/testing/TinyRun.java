package dev.tessera.train.testing;

import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.MaeObjective;
import dev.tessera.train.RunDirectory;
import dev.tessera.train.TrainSettings;
import dev.tessera.train.Trainer;
import dev.tessera.vit.ViTConfig;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Fixtures for the command tests, which must not need Fashion-MNIST: an image folder of 8×8 grey PNGs with
 * train/ and val/ (the bars of {@link SyntheticImages}, 4 classes), and a real pretraining checkpoint of a tiny
 * MAE on it, written by the {@link Trainer} exactly as {@code tessera pretrain} would.
 */
public final class TinyRun {
    /** 8×8×1 images, patch 4 (2×2 grid), width 16, 2 blocks, 2 heads; decoder 16 wide, 1 block. */
    public static final MaeConfig MAE = MaeConfig.of(ViTConfig.of(8, 4, 1, 16, 2, 2), 16, 1, 2).withNormPixLoss(true).withName("tiny-test");
    public static final int CLASSES = 4;

    private TinyRun() {}

    /** Writes DIR/train/c{k}/i.png (perClassTrain each) and DIR/val/c{k}/i.png (perClassVal each); returns DIR. */
    public static Path imageFolder(Path dir, int perClassTrain, int perClassVal) {
        writeSplit(dir.resolve("train"), new SyntheticImages(perClassTrain * CLASSES, 8, CLASSES, 0.3f, 1));
        writeSplit(dir.resolve("val"), new SyntheticImages(perClassVal * CLASSES, 8, CLASSES, 0.3f, 2));
        return dir;
    }

    private static void writeSplit(Path dir, SyntheticImages data) {
        float[] px = new float[64];
        try {
            for (int i = 0; i < data.size(); i++) {
                data.load(i, px, 0, null);
                BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 8; y++) {
                    for (int x = 0; x < 8; x++) {
                        // the bars are 1.5 on −0.5: map [−1, 2] to [0, 255]
                        int v = Math.max(0, Math.min(255, Math.round((px[y * 8 + x] + 1f) / 3f * 255f)));
                        img.getRaster().setSample(x, y, 0, v);
                    }
                }
                Path f = dir.resolve("c" + data.label(i)).resolve(i + ".png");
                Files.createDirectories(f.getParent());
                ImageIO.write(img, "png", f.toFile());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pre-trains {@link #MAE} for {@code steps} steps on the synthetic images into runDir; returns its checkpoint. */
    public static Path checkpoint(Path runDir, int steps) {
        try (CpuBackend be = new CpuBackend(2)) {
            MaeObjective mae = MaeObjective.create(MAE, be, 0);
            TrainSettings s = TrainSettings.forMethod("mae").toBuilder().batchSize(16).steps(steps).blr(1.5e-3).workers(0).build();
            new Trainer(mae, new SyntheticImages(64, 8, CLASSES, 0.3f, 5), s).output(runDir)
                    .log(new PrintWriter(PrintWriter.nullWriter()), false).run();
        }
        return runDir.resolve(RunDirectory.CHECKPOINT);
    }
}
