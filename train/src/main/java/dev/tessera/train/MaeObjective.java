package dev.tessera.train;

import dev.tessera.data.Batch;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.mae.MaeConfig;
import dev.tessera.mae.MaskedAutoencoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * MAE pretraining as an {@link Objective}: the loss of {@link MaskedAutoencoder#forward} with masking noise
 * drawn from the trainer's per-step generator (the model's own mask stream is bypassed by passing the noise,
 * so masks are a function of (seed, step) and resume exactly).
 */
public final class MaeObjective implements Objective {
    private final MaskedAutoencoder model;
    private final Rng modelRng;
    private final Backend backend;

    /** @param modelRng the generator {@code model} was constructed with (it keeps it for drop-path) */
    public MaeObjective(MaskedAutoencoder model, Backend backend, Rng modelRng) {
        this.model = model;
        this.backend = backend;
        this.modelRng = modelRng;
    }

    /** A freshly initialised MAE of {@code config}: init and drop-path draw from {@code new Rng(seed)}. */
    public static MaeObjective create(MaeConfig config, Backend backend, long seed) {
        Rng rng = new Rng(seed);
        return new MaeObjective(new MaskedAutoencoder(config, backend, rng), backend, rng);
    }

    @Override
    public ModelSpec spec() {
        return ModelSpec.of(model.config());
    }

    @Override
    public MaskedAutoencoder model() {
        return model;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public int[] imageShape() {
        return model.config().encoder().imageShape();
    }

    @Override
    public Rng modelRng() {
        return modelRng;
    }

    @Override
    public Tensor loss(Batch batch, RandomGenerator rng) {
        HostInputs in = hostInputs(batch, rng).orElseThrow();
        List<Tensor> onDevice = new ArrayList<>();
        for (int i = 0; i < in.arrays().size(); i++) onDevice.add(Tensor.of(backend, in.arrays().get(i), in.shapes().get(i)));
        return loss(onDevice);
    }

    /** The images [N, C, H, W] and the masking noise [N, L]: all a step uploads. */
    @Override
    public Optional<HostInputs> hostInputs(Batch batch, RandomGenerator rng) {
        int l = model.config().numPatches();
        return Optional.of(new HostInputs(List.of(batch.images(), noise(batch, rng)),
                List.of(new int[] {batch.n(), batch.c(), batch.h(), batch.w()}, new int[] {batch.n(), l})));
    }

    /** {@code inputs}: the images [N, C, H, W], then the noise [N, L]. */
    @Override
    public Tensor loss(List<Tensor> inputs) {
        return model.forward(inputs.get(0), model.config().maskRatio(), inputs.get(1)).loss();
    }

    /**
     * [N, L] masking noise of the config's strategy (the len_keep smallest values per row are kept), each image's
     * row from its own generator ({@link ImageStreams}).
     */
    private float[] noise(Batch batch, RandomGenerator rng) {
        MaeConfig c = model.config();
        int l = c.numPatches();
        float[] noise = new float[batch.n() * l];
        Rng[] streams = ImageStreams.of(rng, batch.indices());
        for (int i = 0; i < streams.length; i++) {
            System.arraycopy(c.masking().noise(1, c.encoder().gridSize(), c.lenKeep(), streams[i]), 0, noise, i * l, l);
        }
        return noise;
    }

    @Override
    public Optional<Reconstructor> reconstructor() {
        return Optional.of(this::predict);
    }

    private Reconstructor.Prediction predict(float[] images, int n, RandomGenerator rng) {
        MaeConfig c = model.config();
        int[] s = imageShape();
        int l = c.numPatches(), keep = c.lenKeep();
        float[] mask = mask(c.masking().noise(n, c.encoder().gridSize(), keep, rng), n, l, keep);
        Tensor imgs = Tensor.of(backend, images, n, s[0], s[1], s[2]);
        float[] predicted = model.reconstruct(imgs, Tensor.of(backend, mask, n, l)).predicted().toArray();
        return new Reconstructor.Prediction(predicted, mask, c.encoder().patchSize(), true);
    }

    /** Masking noise [n, l] → the mask [n, l] (1 = removed) that keeps the {@code keep} smallest per row. */
    static float[] mask(float[] noise, int n, int l, int keep) {
        float[] mask = new float[n * l];
        for (int i = 0; i < n; i++) {
            // rank of each patch's noise within its row; ranks >= len_keep are removed (docs/mae.md#masking)
            Integer[] order = new Integer[l];
            for (int j = 0; j < l; j++) order[j] = j;
            final int row = i * l;
            java.util.Arrays.sort(order, (a, b) -> Float.compare(noise[row + a], noise[row + b]));
            for (int t = keep; t < l; t++) mask[row + order[t]] = 1f;
        }
        return mask;
    }
}
