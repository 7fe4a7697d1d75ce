package dev.tessera.speed;

import dev.tessera.data.Batch;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.ops.Loss;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.train.Json;
import dev.tessera.train.ModelSpec;
import dev.tessera.train.Objective;
import dev.tessera.vit.VisionTransformer;
import dev.tessera.vit.ViTConfig;
import java.util.random.RandomGenerator;

/**
 * A supervised ViT classifier as an {@link Objective}, for {@code tessera bench step --model vit-…}: the
 * cross-entropy of the logits against the batch's labels, without mixup, erasing or label smoothing (the
 * benchmark times the model; {@code tessera train-supervised} adds the recipe). Its spec has method "vit",
 * which {@link ModelSpec#build} does not rebuild: the benchmark never resumes.
 */
final class ClassifierObjective implements Objective {
    private final VisionTransformer model;
    private final Backend backend;
    private final Rng rng;

    ClassifierObjective(ViTConfig config, Backend backend, long seed) {
        if (config.numClasses() < 1) throw new IllegalArgumentException("ViT preset '" + config.name() + "' has no classifier head");
        this.rng = new Rng(seed);
        this.model = new VisionTransformer(config, backend, rng);
        this.backend = backend;
    }

    @Override
    public ModelSpec spec() {
        return new ModelSpec("vit", model.config().name(), Json.tree(model.config()), null);
    }

    @Override
    public VisionTransformer model() {
        return model;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public int[] imageShape() {
        return model.config().imageShape();
    }

    @Override
    public Rng modelRng() {
        return rng;
    }

    @Override
    public Tensor loss(Batch batch, RandomGenerator unused) {
        Tensor logits = model.forward(Tensor.of(backend, batch.images(), batch.n(), batch.c(), batch.h(), batch.w()));
        return Loss.crossEntropy(logits, Tensor.ofInts(backend, batch.labels(), batch.n()), 0f);
    }
}
