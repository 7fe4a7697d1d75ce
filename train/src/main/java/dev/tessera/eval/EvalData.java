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
 * <p>No augmentation where features are precomputed (probes, kNN): every image is used as is (Fashion-MNIST)
 * or resized and centre-cropped (image folders). End-to-end training may ask for MAE's fine-tuning augmentation
 * (random-resized-crop, flip, RandAugment: {@code ImageTransform.finetune}) on an image folder's training split
 * ({@code augmentTrain}); Fashion-MNIST is never augmented.
 *
 * @param description one line naming the data, for logs and result files
 */
public record EvalData(Dataset train, Dataset test, String description) {

    /** Opens {@code option} ("fashion-mnist", null, or a folder) for a model of channels × size × size images. */
    public static EvalData open(String option, int channels, int size, boolean augmentTrain) {
        DataSource source = DataSource.parse(option, 0);
        if (source.kind().equals(DataSource.FASHION_MNIST)) {
            FashionMnistLocator.Found f = FashionMnistLocator.standard(source.path() == null ? null : Path.of(source.path())).locate();
            FashionMnist train = FashionMnist.read(f.dir(), FashionMnist.Split.TRAIN);
            FashionMnist test = FashionMnist.read(f.dir(), FashionMnist.Split.TEST);
            return new EvalData(train, test, "Fashion-MNIST from " + f.dir() + " (train " + train.size() + ", test " + test.size() + ")");
        }
        Path root = Path.of(source.path());
        if (!Files.isDirectory(root.resolve("train")) || !Files.isDirectory(root.resolve("val"))) {
            throw new IllegalArgumentException("--data " + option + ": an image folder needs train/ and val/ subfolders to fit on one"
                    + " and evaluate on the other");
        }
        Normalize norm = Normalize.forChannels(channels);
        ImageFolder train = ImageFolder.open(root.resolve("train"), augmentTrain ? ImageTransform.finetune(size) : ImageTransform.eval(size),
                channels, norm);
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
