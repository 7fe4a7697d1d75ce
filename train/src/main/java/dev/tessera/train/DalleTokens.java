package dev.tessera.train;

import dev.tessera.cae.DalleConfig;
import dev.tessera.cae.DalleEncoder;
import dev.tessera.cae.DalleWeights;
import dev.tessera.data.Lanczos;
import dev.tessera.data.Normalize;
import dev.tessera.data.PlanarImage;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.tensor.Tensor;
import java.nio.file.Path;

/**
 * CAE's pretext target as published (CAE §3.2, following BEiT §2.2): the DALL-E tokenizer's ids of a second view of
 * each image. The official pipeline crops once and resizes the crop twice — bicubic to 224 for the model, Lanczos to
 * 112 for the tokenizer — then feeds the tokenizer {@code map_pixels(ToTensor(view))}
 * (lxtGH/CAE {@code datasets.py DataAugmentationForCAE}). A tokenizer view of 8g×8g pixels gives exactly one id per
 * patch of a model with a g×g patch grid (224/16 = 112/8 = 14).
 *
 * <p>Tessera's loader hands over only the model's view, normalised; this class undoes the normalisation and resizes
 * <em>that</em> view with Pillow's Lanczos ({@link Lanczos}) — for 224 → 112 an exact 2× reduction of the bicubic
 * crop, where the official code reduces the crop from its source resolution. Grey images are repeated to three
 * channels when the tokenizer wants RGB (PIL's convert('RGB')).
 */
public final class DalleTokens {
    /** Images per encoder pass: the full-size encoder's first 3×3 convolutions read 116 MB of columns per 112² image. */
    private static final int CHUNK = 4;

    private final DalleEncoder encoder;
    private final Backend backend;

    public DalleTokens(DalleEncoder encoder, Backend backend) {
        this.encoder = encoder;
        this.backend = backend;
    }

    /** Loads the encoder from {@code file} (encoder.pkl as released, a state dict, or safetensors; {@link DalleWeights}). */
    public static DalleTokens load(Backend backend, Path file) {
        return new DalleTokens(DalleWeights.load(backend, file), backend);
    }

    /**
     * Whether {@code file} holds DALL-E encoder weights rather than a k-means codebook: pickles ({@code .pkl},
     * {@code .pth}, {@code .pt}) always are; a safetensors file is when it has {@code blocks.input.w}.
     */
    public static boolean isDalleFile(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".pkl") || name.endsWith(".pth") || name.endsWith(".pt")) return true;
        if (!java.nio.file.Files.isRegularFile(file)) return false;
        return dev.tessera.engine.io.SafeTensors.read(file).tensors().containsKey("blocks.input.w");
    }

    public DalleConfig config() {
        return encoder.config();
    }

    /**
     * The tokenizer's input for normalised images {@code [N, C, H, W]} with an h×w patch grid: [N, C', 8h, 8w] of
     * map_pixels(Lanczos(denormalised image)).
     */
    public float[] view(float[] images, int n, int c, int h, int w, int gridH, int gridW) {
        Normalize norm = Normalize.forChannels(c);
        int cin = encoder.config().inputChannels(), oh = DalleConfig.DOWNSAMPLE * gridH, ow = DalleConfig.DOWNSAMPLE * gridW;
        if (c != cin && c != 1) {
            throw new IllegalArgumentException("the DALL-E tokenizer takes " + cin + "-channel images, the data has " + c + " channels");
        }
        int size = cin * oh * ow;
        float[] out = new float[n * size];
        for (int i = 0; i < n; i++) {
            float[] img = norm.denormalize(images, i * c * h * w, c, h, w);
            float[] v = Lanczos.resize(new PlanarImage(img, c, h, w), oh, ow).data();
            for (int ch = 0; ch < cin; ch++) {
                int from = (c == 1 ? 0 : ch) * oh * ow;
                for (int k = 0; k < oh * ow; k++) out[i * size + ch * oh * ow + k] = DalleEncoder.mapPixels(v[from + k]);
            }
        }
        return out;
    }

    /** Token ids [N, gridH·gridW] (int32, raster order) of normalised images [N, C, H, W]. */
    public Tensor tokens(float[] images, int n, int c, int h, int w, int gridH, int gridW) {
        float[] view = view(images, n, c, h, w, gridH, gridW);
        int cin = encoder.config().inputChannels(), oh = DalleConfig.DOWNSAMPLE * gridH, ow = DalleConfig.DOWNSAMPLE * gridW;
        int cells = gridH * gridW, size = cin * oh * ow;
        int[] ids = new int[n * cells];
        for (int start = 0; start < n; start += CHUNK) {
            int m = Math.min(CHUNK, n - start);
            try (StepScope s = backend.openScope()) {                     // the chunk's activations go when it is done
                Tensor x = Tensor.of(backend, java.util.Arrays.copyOfRange(view, start * size, (start + m) * size), m, cin, oh, ow);
                System.arraycopy(encoder.tokens(x).toIntArray(), 0, ids, start * cells, m * cells);
            }
        }
        return Tensor.ofInts(backend, ids, n, cells);
    }
}
