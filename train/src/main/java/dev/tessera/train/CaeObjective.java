package dev.tessera.train;

import dev.tessera.cae.CaeConfig;
import dev.tessera.cae.CaeMaskGenerator;
import dev.tessera.cae.CaeOutput;
import dev.tessera.cae.CaeTarget;
import dev.tessera.cae.ContextAutoencoder;
import dev.tessera.cae.KMeansTokenizer;
import dev.tessera.data.Batch;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Patchify;
import dev.tessera.vit.ViTConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * CAE pretraining as an {@link Objective}: loss = target loss + λ·alignment (docs/cae.md#one-training-step), with the block-wise
 * masks drawn from the trainer's per-step generator. For the token target each batch is tokenized on the
 * fly, by the DALL-E tokenizer as published ({@link DalleTokens}: {@code --target dalle --tokenizer encoder.pkl}) or by
 * a k-means codebook ({@link KMeansTokenizer}, Tessera's stand-in, docs/cae.md#targets); the file says which.
 * Drop-path (0.1 in CAE's recipe) draws from {@link #modelRng()}, which the trainer checkpoints.
 */
public final class CaeObjective implements Objective {
    private final ContextAutoencoder model;
    private final Backend backend;
    private final Rng modelRng;
    private final KMeansTokenizer tokenizer;
    private final DalleTokens dalleTokens;
    private final Path tokenizerFile;
    private final CaeMaskGenerator masks;
    private Map<String, Tensor> lastTerms = Map.of();

    /**
     * @param modelRng      the generator {@code model} was constructed with (its blocks keep it for drop-path)
     * @param tokenizerFile for the TOKENS target the DALL-E encoder weights or a k-means codebook (its K must be the
     *                      config's vocabulary; recorded so a resumed run reloads it), else null
     */
    public CaeObjective(ContextAutoencoder model, Backend backend, Rng modelRng, Path tokenizerFile) {
        CaeConfig c = model.config();
        if (c.target() != CaeTarget.TOKENS && tokenizerFile != null) {
            throw new IllegalArgumentException(c.name() + " predicts pixels; a tokenizer is only used with --target tokens or dalle");
        }
        boolean dalle = tokenizerFile != null && DalleTokens.isDalleFile(tokenizerFile);
        DalleTokens dalleTokens = dalle ? DalleTokens.load(backend, tokenizerFile) : null;
        KMeansTokenizer tokenizer = tokenizerFile == null || dalle ? null : KMeansTokenizer.load(backend, tokenizerFile);
        ViTConfig e = c.encoder();
        if (dalleTokens != null) {
            int cin = dalleTokens.config().inputChannels();
            if (e.inChans() != cin && e.inChans() != 1) {
                throw new IllegalArgumentException("the DALL-E tokenizer " + tokenizerFile + " takes " + cin + "-channel images but "
                        + c.name() + " has " + e.inChans());
            }
            if (dalleTokens.config().vocabSize() != c.vocabSize()) {
                throw new IllegalArgumentException("the DALL-E tokenizer " + tokenizerFile + " has " + dalleTokens.config().vocabSize()
                        + " tokens but " + c.name() + "'s head predicts " + c.vocabSize());
            }
        } else if (c.target() == CaeTarget.TOKENS) {
            if (tokenizer == null) throw new IllegalArgumentException(c.name() + ": the token target needs a tokenizer (--tokenizer FILE)");
            if (tokenizer.patchSize() != e.patchSize() || tokenizer.channels() != e.inChans()) {
                throw new IllegalArgumentException("the tokenizer codes " + tokenizer.patchSize() + "×" + tokenizer.patchSize() + "×"
                        + tokenizer.channels() + " patches but " + c.name() + " has " + e.patchSize() + "×" + e.patchSize() + "×"
                        + e.inChans() + " patches");
            }
            if (tokenizer.k() != c.vocabSize()) {
                throw new IllegalArgumentException("the tokenizer has " + tokenizer.k() + " tokens but " + c.name()
                        + "'s head predicts " + c.vocabSize());
            }
        }
        this.model = model;
        this.backend = backend;
        this.modelRng = modelRng;
        this.tokenizer = tokenizer;
        this.dalleTokens = dalleTokens;
        this.tokenizerFile = tokenizerFile;
        this.masks = c.maskGenerator();
    }

    /** A freshly initialised CAE: init and drop-path draw from {@code new Rng(seed)}; tokenizer file as above. */
    public static CaeObjective create(CaeConfig config, Backend backend, long seed, Path tokenizerFile) {
        Rng rng = new Rng(seed);
        return new CaeObjective(new ContextAutoencoder(config, backend, rng), backend, rng, tokenizerFile);
    }

    @Override
    public ModelSpec spec() {
        return ModelSpec.of(model.config(), tokenizerFile);
    }

    @Override
    public ContextAutoencoder model() {
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

    /** One mask per generator ({@link ImageStreams}: an image's mask does not depend on its batch position). */
    private boolean[][] drawMasks(RandomGenerator[] streams) {
        boolean[][] out = new boolean[streams.length][];
        for (int i = 0; i < streams.length; i++) out[i] = masks.next(streams[i]);
        return out;
    }

    /** N masks of exactly M patches each (true = masked), raster order. */
    private boolean[][] drawMasks(int n, RandomGenerator rng) {
        boolean[][] out = new boolean[n][];
        for (int i = 0; i < n; i++) out[i] = masks.next(rng);
        return out;
    }

    @Override
    public Tensor loss(Batch batch, RandomGenerator rng) {
        Tensor imgs = Tensor.of(backend, batch.images(), batch.n(), batch.c(), batch.h(), batch.w());   // [N, C, H, W]
        Tensor tokens = tokens(batch, imgs);                                                            // [N, L] int32 or null
        CaeOutput out = model.forward(imgs, drawMasks(ImageStreams.of(rng, batch.indices())), tokens);
        Map<String, Tensor> terms = new LinkedHashMap<>();
        terms.put("loss_main", out.lossMain());
        terms.put("loss_align", out.lossAlign());
        lastTerms = terms;
        return out.loss();
    }

    /** The token target of a batch: the DALL-E tokenizer's ids of its Lanczos view, or the k-means ids of its patches. */
    private Tensor tokens(Batch batch, Tensor imgs) {
        if (dalleTokens != null) {
            int grid = model.config().encoder().imgSize() / model.config().encoder().patchSize();
            return dalleTokens.tokens(batch.images(), batch.n(), batch.c(), batch.h(), batch.w(), grid, grid);
        }
        return tokenizer == null ? null : tokenizer.tokenizeImages(imgs);
    }

    /** {@code loss_main} (the pixel MSE or token cross-entropy) and {@code loss_align} (MSE(Ẑm, Zm), before λ). */
    @Override
    public List<String> lossTermNames() {
        return List.of("loss_main", "loss_align");
    }

    @Override
    public Map<String, Tensor> lossTerms() {
        return lastTerms;
    }

    /** Pixels are drawn only for the pixel target: token logits are not pictures. */
    @Override
    public Optional<Reconstructor> reconstructor() {
        return model.config().target() == CaeTarget.PIXELS ? Optional.of(this::predict) : Optional.empty();
    }

    /**
     * CAE predicts only the masked patches, as normalised pixels (per-patch mean 0, unbiased variance 1). To
     * draw them each is de-normalised with the ORIGINAL patch's mean and variance — the same leak of the
     * removed patches' statistics as MAE's norm-pix pictures (docs/mae.md#pitfalls) — and placed at its position.
     */
    private Reconstructor.Prediction predict(float[] images, int n, RandomGenerator rng) {
        CaeConfig c = model.config();
        ViTConfig e = c.encoder();
        int p = e.patchSize(), l = c.numPatches(), m = c.numMasked(), pd = e.patchDim();
        boolean[][] mk = drawMasks(n, rng);
        Tensor imgs = Tensor.of(backend, images, n, e.inChans(), e.imgSize(), e.imgSize());
        CaeOutput out = model.forward(imgs, mk, null);                         // pixel target: no tokens
        float[] pred = out.pred().toArray();                                   // [N, M, p²·C]
        float[] patches = Patchify.patchify(imgs, p).toArray();                // [N, L, p²·C]
        float[] mask = new float[n * l];
        for (int i = 0; i < n; i++) {
            int j = 0;
            for (int q = 0; q < l; q++) {
                if (!mk[i][q]) continue;
                mask[i * l + q] = 1f;
                int at = (i * l + q) * pd, from = (i * m + j) * pd;
                double mean = 0, var = 0;
                for (int k = 0; k < pd; k++) mean += patches[at + k];
                mean /= pd;
                for (int k = 0; k < pd; k++) var += (patches[at + k] - mean) * (patches[at + k] - mean);
                double std = Math.sqrt(var / (pd - 1) + 1e-6);
                for (int k = 0; k < pd; k++) patches[at + k] = (float) (pred[from + k] * std + mean);
                j++;
            }
        }
        float[] predicted = Patchify.unpatchify(Tensor.of(backend, patches, n, l, pd), p, e.inChans()).toArray();
        return new Reconstructor.Prediction(predicted, mask, p, false);
    }
}
