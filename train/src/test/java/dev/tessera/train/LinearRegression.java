package dev.tessera.train;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tessera.data.Batch;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.ops.Dropout;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import java.util.random.RandomGenerator;

/**
 * A test objective: predict each image's label from its pixels with one Linear layer, loss = mean squared
 * error over the batch. By default it has no randomness at all, so two runs differ only by what the trainer
 * does (accumulation, schedule). {@link #randomized} turns on the two kinds of randomness a real model has:
 * pixels hidden at random from the trainer's per-step generator (like masking) and drop-path on the
 * prediction from the model's own generator. It uses only matmul and elementwise kernels, which are
 * bit-reproducible. {@code nanAtCall} makes the loss of that micro-batch call (1-based) NaN.
 */
final class LinearRegression implements Objective {
    static final class Model extends Module {
        final Linear fc;

        Model(Backend backend, int in, Rng rng) {
            fc = module("fc", new Linear(backend, in, 1, true, rng));
        }
    }

    private final Backend backend;
    private final Model model;
    private final Rng rng;
    private final int[] shape;
    private final int nanAtCall;
    private boolean randomized;
    private int calls;
    private int hugeAtCall = -1;

    LinearRegression(Backend backend, int[] shape, long seed, int nanAtCall) {
        this.backend = backend;
        this.shape = shape.clone();
        this.rng = new Rng(seed);
        this.model = new Model(backend, shape[0] * shape[1] * shape[2], rng);
        this.nanAtCall = nanAtCall;
    }

    /**
     * Multiplies the loss of micro-batch call {@code call} (1-based) by 1e30: the loss stays finite, but its
     * gradient squared overflows AdamW's v to infinity — a diverging run's first damage.
     */
    LinearRegression hugeGradientAtCall(int call) {
        hugeAtCall = call;
        return this;
    }

    /** Hide half of the pixels (step generator) and drop-path 0.3 on the prediction (model generator). */
    LinearRegression randomized() {
        randomized = true;
        return this;
    }

    @Override
    public ModelSpec spec() {
        return new ModelSpec("linreg", "linreg", JsonNodeFactory.instance.objectNode().put("in", shape[0] * shape[1] * shape[2]), null);
    }

    @Override public Model model() { return model; }
    @Override public Backend backend() { return backend; }
    @Override public int[] imageShape() { return shape.clone(); }
    @Override public Rng modelRng() { return rng; }

    @Override
    public Tensor loss(Batch batch, RandomGenerator stepRng) {
        calls++;
        float[] y = new float[batch.n()];
        for (int i = 0; i < y.length; i++) y[i] = batch.labels()[i] / 10f;
        float[] pixels = batch.images().clone();
        if (randomized) for (int i = 0; i < pixels.length; i++) if (stepRng.nextFloat() < 0.5f) pixels[i] = 0f;
        Tensor x = Tensor.of(backend, pixels, batch.n(), batch.imageSize());
        Tensor pred = model.fc.forward(x);                                       // [N, 1]
        if (randomized) pred = Dropout.dropPath(pred, 0.3f, rng, model.isTraining());
        Tensor loss = pred.sub(Tensor.of(backend, y, batch.n(), 1)).square().mean();
        if (calls == hugeAtCall) return loss.mul(1e30f);
        return calls == nanAtCall ? loss.add(Float.NaN) : loss;
    }
}
