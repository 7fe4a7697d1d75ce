package dev.tessera.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017): 70 000 grey 28×28 images of clothing in 10 classes, 60 000 for
 * training and 10 000 for testing, read from the four IDX files into memory (47 MB for the training images).
 * Each file is checked against its SHA-256 while it is read. Samples are 1×28×28 normalised with mean 0.2860
 * and std 0.3530 (the training pixels' statistics) unless a transform changes the size.
 *
 * <p>By default there is no augmentation: the images are small, centred and already aligned. Pass
 * {@link ImageTransform#pretrain} (random resized crop + flip) to augment during pre-training.
 */
public final class FashionMnist implements Dataset {
    public enum Split { TRAIN, TEST }

    public static final int SIDE = 28;
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private final Split split;
    private final byte[] pixels; // [N, 28, 28]
    private final byte[] labels; // [N]
    private final ImageTransform transform;
    private final Normalize normalize = Normalize.fashionMnist();

    private FashionMnist(Split split, byte[] pixels, byte[] labels, ImageTransform transform) {
        this.split = split;
        this.pixels = pixels;
        this.labels = labels;
        this.transform = transform;
    }

    /** Reads one split from a folder (see {@link FashionMnistLocator} to find it), without augmentation. */
    public static FashionMnist read(Path dir, Split split) {
        FashionMnistFile imagesFile = split == Split.TRAIN ? FashionMnistFile.TRAIN_IMAGES : FashionMnistFile.TEST_IMAGES;
        FashionMnistFile labelsFile = split == Split.TRAIN ? FashionMnistFile.TRAIN_LABELS : FashionMnistFile.TEST_LABELS;
        IdxFile images = imagesFile.read(dir);
        IdxFile labels = labelsFile.read(dir);
        int n = labels.dims()[0];
        if (images.dims()[0] != n || images.dims()[1] != SIDE || images.dims()[2] != SIDE) {
            throw new DataException(dir.resolve(imagesFile.gzName()), "Fashion-MNIST " + split + " images have dims "
                    + Arrays.toString(images.dims()) + " but the labels file has " + n + " entries and images must be 28x28", null);
        }
        for (int i = 0; i < n; i++) {
            if (labels.data()[i] < 0 || labels.data()[i] > 9) {
                throw new DataException(dir.resolve(labelsFile.gzName()), "Fashion-MNIST label " + i + " is "
                        + labels.data()[i] + ", outside 0..9", null);
            }
        }
        return new FashionMnist(split, images.data(), labels.data(), ImageTransform.none());
    }

    /** The same data (shared, not copied) with a different transform. */
    public FashionMnist withTransform(ImageTransform t) {
        return new FashionMnist(split, pixels, labels, t);
    }

    public Split split() {
        return split;
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public int height() {
        return transform.size() < 0 ? SIDE : transform.size();
    }

    @Override
    public int width() {
        return height();
    }

    @Override
    public int numClasses() {
        return CLASSES.size();
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    /** The raw 0..255 pixel values of one image, row-major 28×28 (a copy). */
    public byte[] rawPixels(int index) {
        return Arrays.copyOfRange(pixels, index * SIDE * SIDE, (index + 1) * SIDE * SIDE);
    }

    @Override
    public void load(int index, float[] dst, int dstOffset, RandomGenerator rng) {
        Objects.checkIndex(index, labels.length);
        float[] img = new float[SIDE * SIDE];
        int base = index * SIDE * SIDE;
        for (int i = 0; i < img.length; i++) img[i] = (pixels[base + i] & 0xff) / 255f;
        normalize.apply(transform.apply(new PlanarImage(img, 1, SIDE, SIDE), rng), dst, dstOffset);
    }
}
