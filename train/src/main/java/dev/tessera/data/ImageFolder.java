package dev.tessera.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Images in the ImageNet folder layout, {@code root/<class>/**.jpg|jpeg|png}, like torchvision's
 * {@code ImageFolder}: class folders sorted by name give label ids 0, 1, …; files are ordered by folder and then
 * name, so indices are stable across runs and machines. Names starting with '.' are ignored (torchvision would
 * turn a stray {@code .ipynb_checkpoints} into a class). Every image is decoded with ImageIO, converted to 1 or 3
 * channels, passed through the transform (which must produce a fixed size) and normalised.
 *
 * <p>A file that cannot be decoded raises a {@link DataException} naming it. Decoder warnings count as errors:
 * ImageIO quietly returns a half-grey picture for a truncated JPEG, where PIL (and so torchvision) refuses it.
 */
public final class ImageFolder implements Dataset {
    private final Path root;
    private final List<String> classes;
    private final Path[] classDirs;
    private final String[] files; // relative to the class folder, so a million entries stay small
    private final int[] labels;
    private final ImageTransform transform;
    private final int channels;
    private final Normalize normalize;

    private ImageFolder(Path root, List<String> classes, Path[] classDirs, String[] files, int[] labels,
                        ImageTransform transform, int channels, Normalize normalize) {
        this.root = root;
        this.classes = classes;
        this.classDirs = classDirs;
        this.files = files;
        this.labels = labels;
        this.transform = transform;
        this.channels = channels;
        this.normalize = normalize;
    }

    /** RGB images with ImageNet normalisation. */
    public static ImageFolder open(Path root, ImageTransform transform) {
        return open(root, transform, 3, Normalize.imagenet());
    }

    /**
     * Scans {@code root}. {@code channels} is 1 (grey) or 3 (RGB); {@code normalize} must have as many channels.
     *
     * @throws DataException when root is not a folder, has no class folders, or a class folder has no images
     */
    public static ImageFolder open(Path root, ImageTransform transform, int channels, Normalize normalize) {
        Objects.requireNonNull(transform, "transform");
        if (transform.size() < 0) {
            throw new IllegalArgumentException("ImageFolder images differ in size, so the transform must produce a fixed "
                    + "size: use ImageTransform.pretrain(size) or ImageTransform.eval(size)");
        }
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        if (normalize.channels() != channels) {
            throw new IllegalArgumentException("normalisation has " + normalize.channels() + " channels but images have " + channels);
        }
        if (!Files.isDirectory(root)) throw new DataException(root, root + ": image folder does not exist", null);
        try {
            List<Path> classDirs;
            try (Stream<Path> s = Files.list(root)) {
                classDirs = s.filter(Files::isDirectory).filter(p -> !hidden(p))
                        .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
            }
            if (classDirs.isEmpty()) {
                throw new DataException(root, root + ": no class folders (expected root/<class>/<image>.jpg|png)", null);
            }
            List<String> classes = new ArrayList<>();
            List<String> files = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (int c = 0; c < classDirs.size(); c++) {
                Path dir = classDirs.get(c);
                List<Path> images;
                try (Stream<Path> s = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
                    images = s.filter(p -> Files.isRegularFile(p) && isImage(p) && !hiddenBelow(dir, p))
                            .sorted(Comparator.comparing((Path p) -> p.getParent().toString())
                                    .thenComparing(p -> p.getFileName().toString()))
                            .toList();
                }
                if (images.isEmpty()) throw new DataException(dir, dir + ": class folder has no .jpg, .jpeg or .png files", null);
                classes.add(dir.getFileName().toString());
                for (Path p : images) {
                    files.add(dir.relativize(p).toString());
                    labels.add(c);
                }
            }
            return new ImageFolder(root, List.copyOf(classes), classDirs.toArray(Path[]::new), files.toArray(String[]::new),
                    labels.stream().mapToInt(Integer::intValue).toArray(), transform, channels, normalize);
        } catch (IOException | UncheckedIOException e) {
            throw new DataException(root, root + ": cannot list image folder (" + e.getMessage() + ")", e);
        }
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    private static boolean hiddenBelow(Path dir, Path p) {
        for (Path part : dir.relativize(p)) if (part.toString().startsWith(".")) return true;
        return false;
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
    }

    public Path root() {
        return root;
    }

    /** Class names in label order. */
    public List<String> classes() {
        return classes;
    }

    /** The file of sample {@code index}. */
    public Path file(int index) {
        return classDirs[labels[index]].resolve(files[index]);
    }

    @Override
    public int size() {
        return files.length;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int height() {
        return transform.size();
    }

    @Override
    public int width() {
        return transform.size();
    }

    @Override
    public int numClasses() {
        return classes.size();
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public void load(int index, float[] dst, int dstOffset, RandomGenerator rng) {
        Path f = file(index);
        PlanarImage img = ImagePlanes.of(decode(f), channels);
        normalize.apply(transform.apply(img, rng), dst, dstOffset);
    }

    /** Decodes one image file; any failure or decoder warning is a DataException naming the file. */
    static BufferedImage decode(Path f) {
        try (ImageInputStream in = ImageIO.createImageInputStream(f.toFile())) {
            if (in == null) throw new DataException(f, f + ": cannot open image file", null);
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new DataException(f, f + ": not a decodable image (no ImageIO reader recognises its contents)", null);
            }
            ImageReader reader = readers.next();
            try {
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                reader.setInput(in, true, true);
                BufferedImage img = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new DataException(f, f + ": corrupt image (" + String.join("; ", warnings) + ")", null);
                }
                return img;
            } finally {
                reader.dispose();
            }
        } catch (DataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ImageIO signals bad data with IIOException but also with IndexOutOfBounds and similar runtime errors.
            throw new DataException(f, f + ": cannot decode image (" + e + ")", e);
        }
    }
}
