package dev.tessera.eval;

import dev.tessera.data.Batch;
import dev.tessera.data.Dataset;
import dev.tessera.data.Loader;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Pool;
import dev.tessera.vit.VisionTransformer;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Runs a frozen encoder once over a dataset and keeps what the evaluations read, so kNN and every probe epoch
 * cost no encoder pass (docs/mae.md#linear-probe: the frozen encoder has no stochastic layers, so one pass is exact).
 * The encoder runs in eval mode under no-grad, one {@link StepScope} per batch (and one nested scope per block inside
 * VisionTransformer#forwardTokens, so memory stays at one block's activations), in dataset order without augmentation.
 *
 * <ul>
 *   <li>{@link #pooled}: one vector per image. CLS = the cls token after the encoder's final LayerNorm (the
 *       MAE linear-probe feature); AVG = the mean of the patch tokens, each after that same final LayerNorm
 *       (cls excluded; there is no fc_norm in a pretrained encoder). The probe's BatchNorm comes after.</li>
 *   <li>{@link #tokens}: every token [1+L, D] after the final LayerNorm (CAE's attentive probe, docs/cae.md#evaluation).</li>
 *   <li>{@link #pixels}: the flattened normalised image (the raw-pixel baseline).</li>
 * </ul>
 */
public final class Features {
    private Features() {}

    /** Images per encoder pass when the caller has no preference: big enough for efficient GEMMs on a CPU. */
    public static final int DEFAULT_BATCH = 256;

    /** Pooled features [N, D]; {@code progress} (may be null) receives the number of images done after each batch. */
    public static FeatureSet pooled(VisionTransformer encoder, Dataset data, Pool pool, int batch, IntConsumer progress) {
        return pooled(encoder, data, pool, batch, 0, progress);
    }

    /**
     * As {@link #pooled(VisionTransformer, Dataset, Pool, int, IntConsumer)} with the dataset's augmentation drawn
     * for loader epoch {@code epoch}: a probe that re-augments every epoch asks for epoch 0, 1, 2, …
     */
    public static FeatureSet pooled(VisionTransformer encoder, Dataset data, Pool pool, int batch, int epoch, IntConsumer progress) {
        int d = encoder.config().dim();
        return run(encoder, data, batch, epoch, d, progress, images -> encoder.features(images, pool));
    }

    /**
     * Both pooled features from one encoder pass (half the cost of two {@link #pooled} calls): CLS and AVG exactly
     * as {@link #pooled} defines them, for an encoder built with the final norm (Pool.CLS).
     */
    public static Map<Pool, FeatureSet> clsAndAvg(VisionTransformer encoder, Dataset data, int batch, IntConsumer progress) {
        int d = encoder.config().dim();
        FeatureSet both = run(encoder, data, batch, 0, 2 * d, progress, images -> {
            Tensor x = encoder.forwardFeatures(images);                         // [N, 1+L, D]
            return Tensor.concat(1, encoder.pool(x, Pool.CLS), encoder.pool(x, Pool.AVG));   // [N, 2D]
        });
        Map<Pool, FeatureSet> out = new EnumMap<>(Pool.class);
        out.put(Pool.CLS, both.columns(0, d));
        out.put(Pool.AVG, both.columns(d, d));
        return out;
    }

    /** All tokens after the final norm, flattened per image to (1+L)·D floats. */
    public static FeatureSet tokens(VisionTransformer encoder, Dataset data, int batch, IntConsumer progress) {
        return tokens(encoder, data, batch, 0, progress);
    }

    /** As {@link #tokens(VisionTransformer, Dataset, int, IntConsumer)} with the augmentation of loader epoch {@code epoch}. */
    public static FeatureSet tokens(VisionTransformer encoder, Dataset data, int batch, int epoch, IntConsumer progress) {
        int perImage = (1 + encoder.config().numPatches()) * encoder.config().dim();
        return run(encoder, data, batch, epoch, perImage, progress, images -> encoder.forwardFeatures(images));
    }

    /** The normalised pixels, C·H·W floats per image, in dataset order. */
    public static FeatureSet pixels(Dataset data) {
        return pixels(data, 0);
    }

    /** As {@link #pixels(Dataset)} with the augmentation of loader epoch {@code epoch}. */
    public static FeatureSet pixels(Dataset data, int epoch) {
        int size = data.channels() * data.height() * data.width();
        float[] f = new float[Math.multiplyExact(data.size(), size)];
        int[] y = new int[data.size()];
        try (Loader loader = new Loader(data, loaderOptions(DEFAULT_BATCH), epoch)) {
            int at = 0;
            for (Batch b : loader) {
                System.arraycopy(b.images(), 0, f, at * size, b.n() * size);
                System.arraycopy(b.labels(), 0, y, at, b.n());
                at += b.n();
            }
        }
        return new FeatureSet(f, y, size, data.numClasses());
    }

    private interface Forward {
        Tensor apply(Tensor images);
    }

    private static FeatureSet run(VisionTransformer encoder, Dataset data, int batch, int epoch, int perImage, IntConsumer progress,
                                  Forward forward) {
        var cfg = encoder.config();
        if (data.channels() != cfg.inChans() || data.height() != cfg.imgSize() || data.width() != cfg.imgSize()) {
            throw new IllegalArgumentException("the encoder takes " + cfg.inChans() + "x" + cfg.imgSize() + "x" + cfg.imgSize()
                    + " images but the dataset has " + data.channels() + "x" + data.height() + "x" + data.width());
        }
        Backend be = backendOf(encoder);
        float[] f = new float[Math.multiplyExact(data.size(), perImage)];
        int[] y = new int[data.size()];
        boolean wasTraining = encoder.isTraining();
        encoder.train(false);
        try (var _ = GradMode.noGrad(); Loader loader = new Loader(data, loaderOptions(batch), epoch)) {
            int at = 0;
            for (Batch b : loader) {
                try (StepScope _ = be.openScope()) {
                    Tensor images = Tensor.of(be, b.images(), b.n(), b.c(), b.h(), b.w());
                    float[] out = forward.apply(images).toArray();
                    System.arraycopy(out, 0, f, at * perImage, b.n() * perImage);
                }
                System.arraycopy(b.labels(), 0, y, at, b.n());
                at += b.n();
                if (progress != null) progress.accept(at);
            }
        } finally {
            encoder.train(wasTraining);
        }
        return new FeatureSet(f, y, perImage, data.numClasses());
    }

    /** The backend a model's parameters live on. */
    static Backend backendOf(dev.tessera.engine.nn.Module model) {
        var params = model.namedParameters().values();
        if (params.isEmpty()) throw new IllegalArgumentException(model.getClass().getSimpleName() + " has no parameters");
        return params.iterator().next().tensor().backend();
    }

    /** Dataset order, no augmentation randomness used, one decoding thread ahead of the encoder. */
    static Loader.Options loaderOptions(int batch) {
        return Loader.Options.of(batch).withShuffle(false).withWorkers(1);
    }
}
