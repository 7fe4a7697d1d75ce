package dev.tessera.cli;

import dev.tessera.cae.CaeConfig;
import dev.tessera.cae.DalleConfig;
import dev.tessera.cae.DalleWeights;
import dev.tessera.cae.KMeansTokenizer;
import dev.tessera.data.Dataset;
import dev.tessera.data.Normalize;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.train.DalleTokens;
import dev.tessera.train.DataSource;
import dev.tessera.train.Trainer;
import dev.tessera.viz.ImageGrid;
import dev.tessera.viz.TokenMap;
import dev.tessera.vit.ViTConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tessera tokenizer fit}: the k-means codebook that CAE's token target predicts (Tessera's DALL-E stand-in);
 * {@code tessera tokenizer draw}: a picture of the token ids a tokenizer (k-means or DALL-E) gives some images.
 */
@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Build the patch tokenizer for CAE's token target, or draw the tokens of some images.",
        subcommands = {TokenizerCommand.Fit.class, TokenizerCommand.Draw.class})
final class TokenizerCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "choose a subcommand: tessera tokenizer fit | draw");
    }

    /** Samples patches from the training images and fits K centres with k-means++ and Lloyd iterations. */
    @Command(name = "fit", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Fit a K-token codebook to normalised patches of the training images (k-means++, then Lloyd).",
                    "Example: tessera tokenizer fit --k 512 --out runs/tokens512.safetensors, then",
                    "         tessera pretrain cae --target tokens --tokenizer runs/tokens512.safetensors"})
    static final class Fit implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--data", paramLabel = "DIR", description = "As for pretrain: 'fashion-mnist' (default), its folder, or an image folder.")
        String data;

        @Option(names = "--model", paramLabel = "NAME", defaultValue = "cae-tiny",
                description = "The CAE preset whose patches are tokenized (patch size, channels, image size); default ${DEFAULT-VALUE}.")
        String model;

        @Option(names = "--k", paramLabel = "K", defaultValue = "512", description = "Vocabulary size (default ${DEFAULT-VALUE}).")
        int k;

        @Option(names = "--images", paramLabel = "N", defaultValue = "2000", description = "Training images to sample patches from (default ${DEFAULT-VALUE}).")
        int images;

        @Option(names = "--iterations", paramLabel = "I", defaultValue = "20", description = "Most Lloyd iterations (default ${DEFAULT-VALUE}).")
        int iterations;

        @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the image sample and k-means++ (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--out", paramLabel = "FILE", required = true, description = "Where to write the codebook (.safetensors).")
        Path out;

        @Mixin

        DeviceOptions deviceOptions;

        @Override
        public Integer call() {
            if (k < 1) throw new ParameterException(spec.commandLine(), "--k must be a positive integer, got " + k);
            if (images < 1) throw new ParameterException(spec.commandLine(), "--images must be a positive integer, got " + images);
            if (iterations < 0) throw new ParameterException(spec.commandLine(), "--iterations must be 0 or more, got " + iterations);
            PrintWriter log = spec.commandLine().getOut();
            ViTConfig enc = CaeConfig.preset(model).encoder();
            DataSource source = DataSource.parse(data, 0);
            Dataset train = source.open(enc.inChans(), enc.imgSize()).train();
            Trainer.checkImageShape(model, enc.imageShape(), train, "the data (" + source.describe() + ")");
            float[] patches = samplePatches(train, enc, Math.min(images, train.size()), seed);
            int count = patches.length / enc.patchDim();
            if (k > count) {
                throw new ParameterException(spec.commandLine(), "--k " + k + " is more than the " + count + " patches sampled; raise --images");
            }
            try (Backend backend = deviceOptions.open(log::println)) {
                log.println(String.format(Locale.ROOT, "fitting %d tokens to %d patches of %d×%d×%d from %d images", k, count,
                        enc.patchSize(), enc.patchSize(), enc.inChans(), count / enc.numPatches()));
                KMeansTokenizer t = KMeansTokenizer.fit(backend, patches, enc.patchSize(), enc.inChans(), k, iterations, seed);
                Path parent = out.toAbsolutePath().getParent();
                try {
                    java.nio.file.Files.createDirectories(parent);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot write " + out + ": cannot create " + parent + " (" + e.getMessage() + ")", e);
                }
                t.save(out);
                log.println("tokenizer: " + out.toAbsolutePath() + " (" + t.metadata().get("lloyd_iterations") + " Lloyd iterations, inertia "
                        + t.metadata().get("inertia") + ")");
            }
            return 0;
        }

        /**
         * Every patch of {@code n} images drawn without replacement ((seed)-shuffled indices), as channel-last
         * vectors [n·L, p²·C] — the layout of {@code Patchify} that the tokenizer expects.
         */
        static float[] samplePatches(Dataset d, ViTConfig enc, int n, long seed) {
            int c = d.channels(), h = d.height(), w = d.width(), p = enc.patchSize(), g = w / p, pd = enc.patchDim();
            int size = c * h * w, l = (h / p) * g;
            Rng rng = new Rng(seed);
            int[] order = rng.permutation(d.size());
            float[] img = new float[size];
            float[] out = new float[n * l * pd];
            for (int i = 0; i < n; i++) {
                d.load(order[i], img, 0, rng);
                for (int q = 0; q < l; q++) {
                    int y0 = (q / g) * p, x0 = (q % g) * p, base = (i * l + q) * pd;
                    for (int y = 0; y < p; y++) {
                        for (int x = 0; x < p; x++) {
                            for (int ch = 0; ch < c; ch++) out[base + (y * p + x) * c + ch] = img[(ch * h + y0 + y) * w + x0 + x];
                        }
                    }
                }
            }
            return out;
        }
    }

    /** Tokenizes the first images of the training data and draws each next to its token ids, one colour per id. */
    @Command(name = "draw", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Draw the token ids of some training images: each image next to its token grid, one colour per id",
                    "(a hash of the id). The tokenizer is a k-means codebook (tessera tokenizer fit) or the DALL-E encoder",
                    "(encoder.pkl from " + DalleWeights.RELEASE_URL + ", which reads a Lanczos view of 8 pixels per patch).",
                    "Example: tessera tokenizer draw --tokenizer encoder.pkl --model cae-base --data DIR --out tokens.png"})
    static final class Draw implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--tokenizer", paramLabel = "FILE", required = true,
                description = "k-means codebook (.safetensors) or DALL-E encoder (encoder.pkl, .pth, .safetensors).")
        Path tokenizer;

        @Option(names = "--data", paramLabel = "DIR", description = "As for pretrain: 'fashion-mnist' (default), its folder, or an image folder.")
        String data;

        @Option(names = "--model", paramLabel = "NAME", defaultValue = "cae-tiny",
                description = "The CAE preset whose images and patch grid are used; default ${DEFAULT-VALUE}.")
        String model;

        @Option(names = "--images", paramLabel = "N", defaultValue = "8", description = "Images to draw (default ${DEFAULT-VALUE}).")
        int images;

        @Option(names = "--out", paramLabel = "FILE", required = true, description = "Where to write the picture (.png).")
        Path out;

        @Mixin
        DeviceOptions deviceOptions;

        @Override
        public Integer call() {
            if (images < 1) throw new ParameterException(spec.commandLine(), "--images must be a positive integer, got " + images);
            if (!java.nio.file.Files.isRegularFile(tokenizer)) {
                throw new ParameterException(spec.commandLine(), "--tokenizer " + tokenizer + ": no such file (the DALL-E encoder is at "
                        + DalleWeights.RELEASE_URL + "; a k-means codebook comes from 'tessera tokenizer fit')");
            }
            PrintWriter log = spec.commandLine().getOut();
            ViTConfig enc = CaeConfig.preset(model).encoder();
            DataSource source = DataSource.parse(data, 0);
            Dataset train = source.open(enc.inChans(), enc.imgSize()).train();
            Trainer.checkImageShape(model, enc.imageShape(), train, "the data (" + source.describe() + ")");
            int n = Math.min(images, train.size()), c = enc.inChans(), s = enc.imgSize(), g = s / enc.patchSize(), size = c * s * s;
            float[] batch = new float[n * size];
            Rng rng = new Rng(0);
            for (int i = 0; i < n; i++) train.load(i, batch, i * size, rng);
            ImageGrid grid = new ImageGrid(3, s, s).titles("image", "tokens");
            Normalize norm = Normalize.forChannels(c);
            try (Backend backend = deviceOptions.open(log::println)) {
                int[] ids;
                String what;
                if (DalleTokens.isDalleFile(tokenizer)) {
                    DalleTokens t = DalleTokens.load(backend, tokenizer);
                    ids = t.tokens(batch, n, c, s, s, g, g).toIntArray();
                    what = "DALL-E encoder, " + t.config().vocabSize() + " ids, view " + DalleConfig.DOWNSAMPLE * g + "²";
                } else {
                    KMeansTokenizer t = KMeansTokenizer.load(backend, tokenizer);
                    if (t.patchSize() != enc.patchSize() || t.channels() != c) {
                        throw new ParameterException(spec.commandLine(), "--tokenizer codes " + t.patchSize() + "×" + t.patchSize() + "×"
                                + t.channels() + " patches but " + model + " has " + enc.patchSize() + "×" + enc.patchSize() + "×" + c);
                    }
                    ids = t.tokenizeImages(dev.tessera.engine.tensor.Tensor.of(backend, batch, n, c, s, s)).toIntArray();
                    what = "k-means, " + t.k() + " ids";
                }
                java.util.Set<Integer> distinct = new java.util.HashSet<>();
                for (int i = 0; i < n; i++) {
                    int[] row = java.util.Arrays.copyOfRange(ids, i * g * g, (i + 1) * g * g);
                    for (int id : row) distinct.add(id);
                    TokenMap.addTo(grid, norm.denormalize(batch, i * size, c, s, s), c, s, s, row, g, g);
                }
                grid.write(out);
                log.println("tokens: " + out.toAbsolutePath() + " (" + n + " images, " + g + "×" + g + " tokens each, " + distinct.size()
                        + " distinct ids; " + what + ")");
            }
            return 0;
        }
    }
}
