package dev.tessera.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/** Test helpers: run {@code tessera} in-process capturing both streams, and make small image folders. */
final class Cli {
    private Cli() {}

    /** Exit code and what was printed. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Result tessera(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Tessera.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    /** root/class{k}/img{i}.png: {@code classes} × {@code perClass} random grey images of size×size. */
    static Path greyFolder(Path root, int classes, int perClass, int size) throws IOException {
        SplittableRandom rng = new SplittableRandom(42);
        for (int k = 0; k < classes; k++) {
            Path dir = Files.createDirectories(root.resolve("class" + k));
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        int v = rng.nextInt(256);
                        img.setRGB(x, y, v << 16 | v << 8 | v);
                    }
                }
                ImageIO.write(img, "png", dir.resolve("img" + i + ".png").toFile());
            }
        }
        return root;
    }
}
