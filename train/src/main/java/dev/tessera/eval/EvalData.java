package dev.tessera.eval;

import dev.tessera.data.Dataset;
import dev.tessera.data.FashionMnist;
import dev.tessera.data.FashionMnistLocator;
import dev.tessera.data.ImageFolder;
import dev.tessera.data.ImageTransform;
import dev.tessera.data.Normalize;
import dev.tessera.train.DataSource;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The two splits an evaluation needs, from the {@code --data} option as {@code tessera pretrain} reads it
 * ({@link DataSource#parse}): Fashion-MNIST (train split to fit, the 10k test split to evaluate) or an image
 * folder ({@code DIR/train} and {@code DIR/val}; a folder without them cannot be evaluated on held-out images).
 *
 * <p>No augmentation where features are precomputed (probes' precomputed mode, kNN): every image is used as is
 * (Fashion-MNIST) or resized and centre-cropped (image folders). End-to-end training may ask for MAE's fine-tuning
 * augmentation (random-resized-crop, flip, RandAugment: {@code ImageTransform.finetune}) on an image folder's training
 * split ({@link TrainTransform#FINETUNE}); probes that re-extract features every epoch ask for the official probes'
 * random-resized-crop + flip ({@link TrainTransform#PROBE}), on either kind of data.
 *
 * @param description one line naming the data, for logs and result files
 */
public record EvalData(Dataset train, Dataset test, String description) {

    /** How the training split is transformed. */
    public enum TrainTransform {
        /** As the test split: Fashion-MNIST as is, image folders resized and centre-cropped. */
        NONE,
        /** Fine-tuning's RandomResizedCrop + flip + RandAugment ({@code ImageTransform.finetune}); image folders only. */
        FINETUNE,
        /** The probes' RandomResizedCrop (0.08–1) + flip ({@code ImageTransform.probe}), for both kinds of data. */
        PROBE
    }

    /** Opens {@code option} ("fashion-mnist", null, or a folder) for a model of channels × size × size images. */
    public static EvalData open(String option, int channels, int size, boolean augmentTrain) {
        return open(option, channels, size, augmentTrain ? TrainTransform.FINETUNE : TrainTransform.NONE);
    }

    /** Whether {@code option} names Fashion-MNIST (the default, or a folder holding its files) rather than an image folder. */
    public static boolean isFashionMnist(String option) {
        return DataSource.parse(option, 0).kind().equals(DataSource.FASHION_MNIST);
    }

    /** As {@link #open(String, int, int, boolean)} with the training split transformed as {@code trainTransform} says. */
    public static EvalData open(String option, int channels, int size, TrainTransform trainTransform) {
        DataSource source = DataSource.parse(option, 0);
        if (source.kind().equals(DataSource.FASHION_MNIST)) {
            FashionMnistLocator.Found f = FashionMnistLocator.standard(source.path() == null ? null : Path.of(source.path())).locate();
            FashionMnist train = FashionMnist.read(f.dir(), FashionMnist.Split.TRAIN);
            FashionMnist test = FashionMnist.read(f.dir(), FashionMnist.Split.TEST);
            String aug = "";
            if (trainTransform == TrainTransform.PROBE) {
                train = train.withTransform(ImageTransform.probe(FashionMnist.SIDE));
                aug = ", training images random-resized-cropped and flipped every epoch";
            }
            return new EvalData(train, test, "Fashion-MNIST from " + f.dir() + " (train " + train.size() + ", test " + test.size() + ")" + aug);
        }
        Path root = Path.of(source.path());
        if (!Files.isDirectory(root.resolve("train")) || !Files.isDirectory(root.resolve("val"))) {
            throw new IllegalArgumentException("--data " + option + ": an image folder needs train/ and val/ subfolders to fit on one"
                    + " and evaluate on the other");
        }
        Normalize norm = Normalize.forChannels(channels);
        ImageTransform trainT = switch (trainTransform) {
            case NONE -> ImageTransform.eval(size);
            case FINETUNE -> ImageTransform.finetune(size);
            case PROBE -> ImageTransform.probe(size);
        };
        ImageFolder train = ImageFolder.open(root.resolve("train"), trainT, channels, norm);
        ImageFolder test = ImageFolder.open(root.resolve("val"), ImageTransform.eval(size), channels, norm);
        if (train.numClasses() != test.numClasses()) {
            throw new IllegalArgumentException("--data " + option + ": train/ has " + train.numClasses() + " classes but val/ has "
                    + test.numClasses());
        }
        return new EvalData(train, test, "image folder " + root + " (train " + train.size() + ", val " + test.size() + ")");
    }

    /** Random subsets of at most {@code trainLimit} and {@code testLimit} images (≤ 0: all), drawn from {@code seed}. */
    public EvalData limit(int trainLimit, int testLimit, long seed) {
        Dataset tr = Subset.random(train, trainLimit, seed), te = Subset.random(test, testLimit, seed + 1);
        if (tr == train && te == test) return this;
        return new EvalData(tr, te, description + ", using " + tr.size() + " training and " + te.size() + " test images");
    }
}
