package dev.tessera.train;

import dev.tessera.data.DataException;
import dev.tessera.data.Dataset;
import dev.tessera.data.FashionMnist;
import dev.tessera.data.FashionMnistLocator;
import dev.tessera.data.ImageFolder;
import dev.tessera.data.ImageTransform;
import dev.tessera.data.Normalize;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a run's images come from, as recorded in config.json so that a resumed run reopens the same data:
 * <ul>
 *   <li>{@code fashion-mnist}: the training split to train on, the test split for pictures; found by
 *       {@link FashionMnistLocator} (a given folder first, then $TESSERA_DATA, the Debian package, the cache,
 *       and finally a download). 1×28×28, no augmentation (the images are small and centred).</li>
 *   <li>{@code image-folder}: {@code DIR/<class>/*.jpg|png} (or {@code DIR/train} and {@code DIR/val} when
 *       both exist), the method's random-resized-crop + flip (MAE: scale 0.2–1; CAE: 0.08–1, flip first) at {@code crop} pixels (default: the model's image
 *       size), converted to the model's channel count; pictures from {@code val/} with the evaluation
 *       transform, or from the training folder when there is no {@code val/}.</li>
 *   <li>{@code custom}: a {@link Dataset} handed to the trainer in code; {@code path} describes it. Such a run
 *       can be resumed only in code.</li>
 * </ul>
 *
 * @param kind "fashion-mnist", "image-folder" or "custom"
 * @param path the folder (null: Fashion-MNIST's standard search), or the description of a custom dataset
 * @param crop image-folder crop size, 0 for the model's image size
 */
public record DataSource(String kind, String path, int crop) {
    public static final String FASHION_MNIST = "fashion-mnist";
    public static final String IMAGE_FOLDER = "image-folder";
    public static final String CUSTOM = "custom";

    public DataSource {
        if (!kind.equals(FASHION_MNIST) && !kind.equals(IMAGE_FOLDER) && !kind.equals(CUSTOM)) {
            throw new IllegalArgumentException("unknown data kind '" + kind + "'");
        }
        if (crop < 0) throw new IllegalArgumentException("--crop must be positive, got " + crop);
    }

    /** The opened datasets. {@code note} says something the run summary should mention (or null). */
    public record Opened(Dataset train, Dataset heldOut, String description, String note) {}

    /**
     * From the {@code --data} option: null or "fashion-mnist" for the standard Fashion-MNIST search; a folder
     * that holds the four Fashion-MNIST files (directly or in {@code fashion-mnist/}); or an image folder.
     */
    public static DataSource parse(String option, int crop) {
        if (option == null || option.equals(FASHION_MNIST)) return new DataSource(FASHION_MNIST, null, crop);
        Path p = Path.of(option);
        if (Files.exists(p) && !Files.isDirectory(p)) {
            throw new DataException(p, "--data " + option + " is a file, not a folder (give a folder or 'fashion-mnist')", null);
        }
        if (!Files.isDirectory(p)) throw new DataException(p, "--data " + option + ": no such folder (give a folder or 'fashion-mnist')", null);
        if (holdsFashionMnist(p) || holdsFashionMnist(p.resolve("fashion-mnist"))) {
            return new DataSource(FASHION_MNIST, p.toAbsolutePath().normalize().toString(), crop);
        }
        return new DataSource(IMAGE_FOLDER, p.toAbsolutePath().normalize().toString(), crop);
    }

    /** A dataset passed in code, described by {@code description}. */
    public static DataSource custom(String description) {
        return new DataSource(CUSTOM, description, 0);
    }

    private static boolean holdsFashionMnist(Path dir) {
        return Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz")) || Files.isRegularFile(dir.resolve("train-images-idx3-ubyte"));
    }

    /** Opens the training and held-out sets for a model taking {@code channels}×{@code imageSize}² images (MAE's crop). */
    public Opened open(int channels, int imageSize) {
        return open(channels, imageSize, "mae");
    }

    /**
     * As {@link #open(int, int)}, the training images cropped as {@code method} pre-trains: CAE's flip then
     * RandomResizedCrop (0.08–1, bicubic), MAE's RandomResizedCrop (0.2–1) then flip ({@link ImageTransform#pretrain(String, int)}).
     */
    public Opened open(int channels, int imageSize, String method) {
        return switch (kind) {
            case FASHION_MNIST -> {
                FashionMnistLocator.Found f = FashionMnistLocator.standard(path == null ? null : Path.of(path)).locate();
                FashionMnist train = FashionMnist.read(f.dir(), FashionMnist.Split.TRAIN);
                FashionMnist test = FashionMnist.read(f.dir(), FashionMnist.Split.TEST);
                if (crop > 0 && crop != FashionMnist.SIDE) {
                    train = train.withTransform(ImageTransform.pretrain(method, crop));
                    test = test.withTransform(ImageTransform.eval(crop));
                }
                yield new Opened(train, test, "Fashion-MNIST train split, " + train.size() + " images of " + shape(train)
                        + ", from " + f.dir() + " (" + f.source() + ")", null);
            }
            case IMAGE_FOLDER -> {
                Path root = Path.of(path);
                int size = crop > 0 ? crop : imageSize;
                Normalize norm = Normalize.forChannels(channels);
                boolean split = Files.isDirectory(root.resolve("train")) && Files.isDirectory(root.resolve("val"));
                Path trainDir = split ? root.resolve("train") : root;
                ImageFolder train = ImageFolder.open(trainDir, ImageTransform.pretrain(method, size), channels, norm);
                ImageFolder held = ImageFolder.open(split ? root.resolve("val") : root, ImageTransform.eval(size), channels, norm);
                yield new Opened(train, held, "image folder " + trainDir + ", " + train.size() + " images, " + train.numClasses()
                        + " classes, " + ("cae".equals(method) ? "CAE's flip + random-resized-crop (0.08–1) to " : "random-resized-crop to ") + shape(train),
                        split ? null : "recon.png shows training images: " + root + " has no train/ and val/ folders");
            }
            default -> throw new IllegalArgumentException("the run used a dataset given in code (" + path
                    + "); resume it in code with Trainer.resumeFrom");
        };
    }

    /** "1×28×28". */
    static String shape(Dataset d) {
        return d.channels() + "×" + d.height() + "×" + d.width();
    }

    /** One line for logs: "fashion-mnist", "image-folder /data/x (crop 224)". */
    public String describe() {
        return switch (kind) {
            case FASHION_MNIST -> path == null ? FASHION_MNIST : FASHION_MNIST + " " + path;
            case IMAGE_FOLDER -> IMAGE_FOLDER + " " + path + (crop > 0 ? " (crop " + crop + ")" : "");
            default -> path;
        };
    }
}
