package dev.tessera.viz;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/**
 * Writes PNGs atomically: the image goes to a temporary file in the target's folder and is renamed over the
 * target, so a reader (a browser refreshing the loss curve during training) never sees half a file, and a crash
 * leaves the previous picture in place.
 */
final class Png {
    private Png() {}

    static void write(BufferedImage img, Path target) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + abs.getFileName() + "-", ".tmp");
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IllegalStateException("this JDK has no PNG writer");
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write picture " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The write already failed; that error is the one to report.
                }
            }
        }
    }

    /** Packs a value in [0, 1] to 0..255 (NaN becomes 0, so it shows as black rather than failing a picture). */
    static int byteOf(float v) {
        if (!(v > 0)) return 0;
        if (v >= 1) return 255;
        return (int) (v * 255f + 0.5f);
    }
}
