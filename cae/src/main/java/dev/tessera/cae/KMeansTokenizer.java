package dev.tessera.cae;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.io.SafeTensors;
import dev.tessera.engine.io.SafeTensorsFile;
import dev.tessera.engine.io.TensorData;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Shape;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.vit.Patchify;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tessera's stand-in for CAE's DALL-E tokenizer (docs/cae.md#targets): a k-means codebook over normalised patches, so the
 * {@link CaeTarget#TOKENS} target can be trained without OpenAI's dVAE weights (which cannot ship).
 *
 * <p>Each patch vector (p²·C values, channel-last as {@link Patchify}) is first normalised exactly like MAE's
 * norm-pix target — (x − μ)/√(σ² + 1e-6) with the unbiased variance — so a token describes the patch's
 * shape (edges, gradients, texture), not its brightness or contrast. Then:
 * <ul>
 *   <li>{@link #fit}: k-means++ seeding (Arthur &amp; Vassilvitskii 2007: the first centre uniformly, each
 *       next one with probability ∝ squared distance to the nearest centre chosen so far), then Lloyd
 *       iterations (assign every vector to its nearest centre, move each centre to the mean of its vectors)
 *       until no assignment changes or the iteration budget is spent. A centre left without vectors is moved
 *       to the vector farthest from its own centre. Everything is drawn from one seeded {@link Rng}, so a
 *       seed gives a bit-identical codebook.</li>
 *   <li>{@link #tokenize}: nearest centre by ‖x − c‖² = ‖x‖² − 2x·c + ‖c‖², i.e. the argmax over c of
 *       2x·c − ‖c‖² (‖x‖² is the same for every c), one backend matmul per chunk of rows.</li>
 *   <li>{@link #save} / {@link #load}: a safetensors file holding {@code codebook} [K, p²·C] (float32) and
 *       metadata (format, patch size, channels, K, normalisation, seed, iterations, inertia).</li>
 * </ul>
 * The codebook lives on the backend for the tokenizer's lifetime: build or load it outside any StepScope.
 */
public final class KMeansTokenizer {
    /** The file format tag in the safetensors metadata. */
    public static final String FORMAT = "tessera-kmeans-tokenizer-1";
    /** The norm-pix epsilon (MAE, docs/mae.md#loss). */
    public static final float EPS = 1e-6f;
    /** Rows per matmul when assigning, to bound the [rows, K] score matrix. */
    private static final int CHUNK = 4096;

    private final Backend backend;
    private final int patchSize, channels, k, dim;
    private final float[] codebook;          // [K, dim] host copy
    private final Tensor codebookT;          // [dim, K] on the backend (transposed once)
    private final Tensor halfNormSq;         // [K] ‖c‖²/2
    private final Map<String, String> metadata;

    private KMeansTokenizer(Backend backend, int patchSize, int channels, float[] codebook, Map<String, String> metadata) {
        this.backend = backend;
        this.patchSize = patchSize;
        this.channels = channels;
        this.dim = patchSize * patchSize * channels;
        if (codebook.length == 0 || codebook.length % dim != 0) {
            throw new IllegalArgumentException("KMeansTokenizer: codebook of " + codebook.length + " values is not [K, " + dim + "]");
        }
        this.k = codebook.length / dim;
        this.codebook = codebook;
        float[] t = new float[dim * k], h = new float[k];
        for (int c = 0; c < k; c++) {
            double s = 0;
            for (int j = 0; j < dim; j++) {
                float v = codebook[c * dim + j];
                t[j * k + c] = v;
                s += (double) v * v;
            }
            h[c] = (float) (s / 2);
        }
        this.codebookT = Tensor.of(backend, t, dim, k);
        this.halfNormSq = Tensor.of(backend, h, k);
        this.metadata = Map.copyOf(metadata);
    }

    // ================================================================ fitting

    /**
     * Fits a codebook of {@code k} centres to a sample of raw patches.
     *
     * @param patches    raw patch vectors [num, p²·C] row-major, channel-last inside a patch (as {@link Patchify})
     * @param iterations the most Lloyd iterations (it stops earlier once no assignment changes)
     */
    public static KMeansTokenizer fit(Backend backend, float[] patches, int patchSize, int channels, int k, int iterations, long seed) {
        int dim = patchSize * patchSize * channels;
        if (dim < 2) throw new IllegalArgumentException("KMeansTokenizer: patches need at least 2 values to normalise, got " + dim);
        if (patches.length % dim != 0) {
            throw new ShapeException("KMeansTokenizer.fit: " + patches.length + " values are not [num, " + dim + "]");
        }
        int num = patches.length / dim;
        if (k < 1 || k > num) throw new IllegalArgumentException("KMeansTokenizer.fit: K = " + k + " needs 1..num = " + num);
        if (iterations < 0) throw new IllegalArgumentException("KMeansTokenizer.fit: negative iterations " + iterations);
        float[] x = normalize(patches, dim);
        Rng rng = new Rng(seed);
        float[] centres = kMeansPlusPlus(x, num, dim, k, rng);

        KMeansTokenizer current = new KMeansTokenizer(backend, patchSize, channels, centres, Map.of());
        int[] assign = current.assign(x, num);
        int done = 0;
        for (int it = 0; it < iterations; it++) {
            centres = update(x, num, dim, k, assign, centres);
            current = new KMeansTokenizer(backend, patchSize, channels, centres, Map.of());
            int[] next = current.assign(x, num);
            done = it + 1;
            boolean changed = !Arrays.equals(next, assign);
            assign = next;
            if (!changed) break;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("patch_size", Integer.toString(patchSize));
        meta.put("channels", Integer.toString(channels));
        meta.put("k", Integer.toString(k));
        meta.put("normalisation", "per patch (x - mean) / sqrt(unbiased var + 1e-6), channel-last patch vectors");
        meta.put("seed", Long.toString(seed));
        meta.put("samples", Integer.toString(num));
        meta.put("lloyd_iterations", Integer.toString(done));
        meta.put("inertia", Double.toString(inertia(x, num, dim, centres, assign)));
        return new KMeansTokenizer(backend, patchSize, channels, centres, meta);
    }

    /** MAE's norm-pix per row of [num, dim]: (x − μ)/√(σ²_unbiased + 1e-6), in double then rounded. */
    public static float[] normalize(float[] patches, int dim) {
        float[] out = new float[patches.length];
        for (int r = 0; r < patches.length / dim; r++) {
            double mean = 0, var = 0;
            for (int j = 0; j < dim; j++) mean += patches[r * dim + j];
            mean /= dim;
            for (int j = 0; j < dim; j++) {
                double d = patches[r * dim + j] - mean;
                var += d * d;
            }
            double inv = 1 / Math.sqrt(var / (dim - 1) + EPS);
            for (int j = 0; j < dim; j++) out[r * dim + j] = (float) ((patches[r * dim + j] - mean) * inv);
        }
        return out;
    }

    /** k-means++ seeding; returns [k, dim]. */
    private static float[] kMeansPlusPlus(float[] x, int num, int dim, int k, Rng rng) {
        float[] c = new float[k * dim];
        double[] d2 = new double[num];
        int first = rng.nextInt(num);
        System.arraycopy(x, first * dim, c, 0, dim);
        for (int i = 0; i < num; i++) d2[i] = dist2(x, i, c, 0, dim);
        for (int j = 1; j < k; j++) {
            double total = 0;
            for (double v : d2) total += v;
            int pick;
            if (total <= 0) {
                pick = rng.nextInt(num);                 // every point coincides with a centre: any will do
            } else {
                double u = rng.nextDouble() * total, acc = 0;
                pick = num - 1;
                for (int i = 0; i < num; i++) {
                    acc += d2[i];
                    if (acc > u) {
                        pick = i;
                        break;
                    }
                }
            }
            System.arraycopy(x, pick * dim, c, j * dim, dim);
            for (int i = 0; i < num; i++) d2[i] = Math.min(d2[i], dist2(x, i, c, j, dim));
        }
        return c;
    }

    /** Lloyd's update: each centre to the mean of its vectors; an empty one to the farthest vector. */
    private static float[] update(float[] x, int num, int dim, int k, int[] assign, float[] old) {
        double[] sum = new double[k * dim];
        int[] count = new int[k];
        for (int i = 0; i < num; i++) {
            int c = assign[i];
            count[c]++;
            for (int j = 0; j < dim; j++) sum[c * dim + j] += x[i * dim + j];
        }
        float[] c = new float[k * dim];
        boolean[] taken = new boolean[num];
        for (int j = 0; j < k; j++) {
            if (count[j] > 0) {
                for (int q = 0; q < dim; q++) c[j * dim + q] = (float) (sum[j * dim + q] / count[j]);
                continue;
            }
            int far = -1;
            double best = -1;
            for (int i = 0; i < num; i++) {
                double d = dist2(x, i, old, assign[i], dim);
                if (!taken[i] && d > best) {
                    best = d;
                    far = i;
                }
            }
            taken[far] = true;
            System.arraycopy(x, far * dim, c, j * dim, dim);
        }
        return c;
    }

    private static double inertia(float[] x, int num, int dim, float[] c, int[] assign) {
        double s = 0;
        for (int i = 0; i < num; i++) s += dist2(x, i, c, assign[i], dim);
        return s;
    }

    private static double dist2(float[] x, int row, float[] c, int centre, int dim) {
        double s = 0;
        for (int j = 0; j < dim; j++) {
            double d = x[row * dim + j] - c[centre * dim + j];
            s += d * d;
        }
        return s;
    }

    // ================================================================ tokenizing

    /** Nearest-centre ids of already normalised vectors [num, dim]. */
    private int[] assign(float[] normalised, int num) {
        int[] out = new int[num];
        try (var off = GradMode.noGrad()) {
            for (int start = 0; start < num; start += CHUNK) {
                int rows = Math.min(CHUNK, num - start);
                Tensor xs = Tensor.of(backend, Arrays.copyOfRange(normalised, start * dim, (start + rows) * dim), rows, dim);
                Tensor score = xs.matmul(codebookT).sub(halfNormSq);              // [rows, K]  x·c − ‖c‖²/2
                System.arraycopy(score.argmax(1).toIntArray(), 0, out, start, rows);
            }
        }
        return out;
    }

    /**
     * Token ids of raw patches: patches [.., p²·C] (channel-last) → int32 ids [..], each the nearest centre of
     * the normalised patch.
     */
    public Tensor tokenize(Tensor patches) {
        if (patches.rank() < 1 || patches.dim(-1) != dim) {
            throw new ShapeException("tokenize: expected patches [.., " + dim + "], got " + Shape.str(patches.shape()));
        }
        int num = patches.numel() / dim;
        int[] ids = assign(normalize(patches.toArray(), dim), num);
        int[] shape = Arrays.copyOf(patches.shape(), patches.rank() - 1);
        return Tensor.ofInts(patches.backend(), ids, shape);
    }

    /** Token ids of every patch of images [N, C, H, W] → int32 [N, L], raster order (CAE's forward input). */
    public Tensor tokenizeImages(Tensor images) {
        if (images.rank() != 4 || images.dim(1) != channels) {
            throw new ShapeException("tokenizeImages: expected [N, " + channels + ", H, W], got " + Shape.str(images.shape()));
        }
        try (var off = GradMode.noGrad()) {
            return tokenize(Patchify.patchify(images, patchSize));                 // [N, L, p²·C] → [N, L]
        }
    }

    // ================================================================ files

    /** Writes {@code codebook} [K, p²·C] and the metadata to a safetensors file (atomically). */
    public void save(Path path) {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", FORMAT);
        meta.put("patch_size", Integer.toString(patchSize));
        meta.put("channels", Integer.toString(channels));
        meta.put("k", Integer.toString(k));
        SafeTensors.write(path, Map.of("codebook", TensorData.f32(codebook.clone(), k, dim)), meta);
    }

    /** Reads a file written by {@link #save}; the format tag, patch geometry and codebook shape are checked. */
    public static KMeansTokenizer load(Backend backend, Path path) {
        SafeTensorsFile f = SafeTensors.read(path);
        Map<String, String> meta = f.metadata();
        if (!FORMAT.equals(meta.get("format"))) {
            throw new IllegalArgumentException(path + ": not a k-means tokenizer file (format " + meta.get("format")
                    + ", expected " + FORMAT + ")");
        }
        int p = Integer.parseInt(meta.get("patch_size")), c = Integer.parseInt(meta.get("channels"));
        TensorData cb = f.get("codebook");
        int[] shape = cb.shape();
        if (shape.length != 2 || shape[1] != p * p * c || !cb.isFloating()) {
            throw new IllegalArgumentException(path + ": codebook " + cb + " does not fit patches of " + p + "×" + p + "×" + c);
        }
        return new KMeansTokenizer(backend, p, c, cb.floats().clone(), meta);
    }

    // ================================================================ introspection

    /** K, the vocabulary size. */
    public int k() {
        return k;
    }

    /** p²·C, the length of one patch vector. */
    public int dim() {
        return dim;
    }

    public int patchSize() {
        return patchSize;
    }

    public int channels() {
        return channels;
    }

    /** The centres [K, p²·C] row-major (a copy), in normalised-patch space. */
    public float[] codebook() {
        return codebook.clone();
    }

    /** What {@link #fit} recorded (seed, samples, Lloyd iterations run, inertia) or what the file held. */
    public Map<String, String> metadata() {
        return metadata;
    }
}
