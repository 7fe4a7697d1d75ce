package dev.tessera.cli;

import dev.tessera.cae.CaeConfig;
import dev.tessera.cae.KMeansTokenizer;
import dev.tessera.data.Dataset;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.train.DataSource;
import dev.tessera.train.Trainer;
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

/** {@code tessera tokenizer fit}: the k-means codebook that CAE's token target predicts (Tessera's DALL-E stand-in). */
@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Build the patch tokenizer for CAE's token target.",
        subcommands = {TokenizerCommand.Fit.class})
final class TokenizerCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "choose a subcommand: tessera tokenizer fit");
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
}
