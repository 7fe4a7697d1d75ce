package dev.tessera.viz;

import dev.tessera.engine.io.AtomicFile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Writes PNGs through {@link AtomicFile}, like every other file a run writes: a reader (a browser refreshing the
 * loss curve during training) never sees half a file, and a crash leaves the previous picture in place.
 */
final class Png {
    private Png() {}

    static void write(BufferedImage img, Path target) {
        byte[] bytes = encode(img);
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write picture " + target + ": " + e.getMessage(), e);
        }
        AtomicFile.write(target, ch -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
        });
    }

    /**
     * Encodes in memory (a figure is a few hundred KiB at most). The explicit memory-cached stream keeps ImageIO
     * from spilling its cache to a temporary file, as it does for a plain OutputStream.
     */
    private static byte[] encode(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            if (!ImageIO.write(img, "png", stream)) throw new IllegalStateException("this JDK has no PNG writer");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a PNG: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** Packs a value in [0, 1] to 0..255 (NaN becomes 0, so it shows as black rather than failing a picture). */
    static int byteOf(float v) {
        if (!(v > 0)) return 0;
        if (v >= 1) return 255;
        return (int) (v * 255f + 0.5f);
    }
}
