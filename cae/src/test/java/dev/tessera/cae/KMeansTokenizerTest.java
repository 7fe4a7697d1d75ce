package dev.tessera.cae;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KMeansTokenizerTest {
    final Backend be = Backends.cpu();
    static final int P = 4, C = 1, DIM = 16, CLUSTERS = 6, PER = 300;

    /** Unit-variance, zero-mean prototypes in normalised-patch space (what norm-pix maps each cluster to). */
    static float[] prototypes(long seed) {
        float[] raw = new Rng(seed).normal(CLUSTERS * DIM, 0f, 1f);
        return KMeansTokenizer.normalize(raw, DIM);
    }

    /**
     * Raw patches: prototype j under a random brightness offset b and contrast a (which norm-pix removes),
     * plus small noise. Returns the patches; labels[i] = i / PER.
     */
    static float[] sample(float[] proto, long seed) {
        Rng r = new Rng(seed);
        float[] x = new float[CLUSTERS * PER * DIM];
        for (int i = 0; i < CLUSTERS * PER; i++) {
            int j = i / PER;
            float a = 0.5f + 2 * r.nextFloat(), b = 4 * r.nextFloat() - 2;
            for (int q = 0; q < DIM; q++) x[i * DIM + q] = a * (proto[j * DIM + q] + 0.05f * (float) r.nextGaussian()) + b;
        }
        return x;
    }

    @Test
    void recoversWellSeparatedClustersInNormalisedSpace() {
        float[] proto = prototypes(1);
        float[] x = sample(proto, 2);
        KMeansTokenizer tok = KMeansTokenizer.fit(be, x, P, C, CLUSTERS, 50, 3);
        int[] ids = tok.tokenize(Tensor.of(be, x, CLUSTERS * PER, DIM)).toIntArray();
        // Every true cluster maps to one token and different clusters to different tokens (purity 100%).
        int[] tokenOf = new int[CLUSTERS];
        boolean[] used = new boolean[CLUSTERS];
        for (int j = 0; j < CLUSTERS; j++) {
            tokenOf[j] = ids[j * PER];
            assertFalse(used[tokenOf[j]], "two clusters share token " + tokenOf[j]);
            used[tokenOf[j]] = true;
            for (int i = j * PER; i < (j + 1) * PER; i++) assertEquals(tokenOf[j], ids[i], "sample " + i + " of cluster " + j);
        }
        // Each centre is the prototype itself, up to the noise averaged over 300 samples (sd ≈ 0.05/√300 per value).
        float[] cb = tok.codebook();
        for (int j = 0; j < CLUSTERS; j++) {
            assertClose("centre of cluster " + j, Arrays.copyOfRange(proto, j * DIM, (j + 1) * DIM),
                    Arrays.copyOfRange(cb, tokenOf[j] * DIM, (tokenOf[j] + 1) * DIM), 0.03, 0);
        }
        assertEquals(Integer.toString(CLUSTERS), tok.metadata().get("k"));
        assertTrue(Integer.parseInt(tok.metadata().get("lloyd_iterations")) < 50, "converged before the budget");
    }

    @Test
    void sameSeedGivesTheSameCodebook() {
        float[] x = sample(prototypes(4), 5);
        float[] a = KMeansTokenizer.fit(be, x, P, C, 10, 20, 7).codebook();
        float[] b = KMeansTokenizer.fit(be, x, P, C, 10, 20, 7).codebook();
        float[] c = KMeansTokenizer.fit(be, x, P, C, 10, 20, 8).codebook();
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c), "another seed starts from other centres");
    }

    /** The matmul path (‖x‖² − 2x·c + ‖c‖²) against a brute-force nearest centre in double on the host. */
    @Test
    void tokenizeIsTheNearestCentre() {
        float[] x = sample(prototypes(9), 10);
        KMeansTokenizer tok = KMeansTokenizer.fit(be, x, P, C, 32, 5, 11);
        Rng r = new Rng(12);
        float[] q = r.normal(500 * DIM, 0f, 1f);
        int[] got = tok.tokenize(Tensor.of(be, q, 5, 100, DIM)).toIntArray();
        float[] nq = KMeansTokenizer.normalize(q, DIM), cb = tok.codebook();
        int ties = 0;
        for (int i = 0; i < 500; i++) {
            double best = Double.MAX_VALUE, second = Double.MAX_VALUE;
            int arg = -1;
            for (int c = 0; c < 32; c++) {
                double d = 0;
                for (int j = 0; j < DIM; j++) d += Math.pow(nq[i * DIM + j] - cb[c * DIM + j], 2);
                if (d < best) {
                    second = best;
                    best = d;
                    arg = c;
                } else if (d < second) {
                    second = d;
                }
            }
            if (second - best < 1e-4) ties++;
            else assertEquals(arg, got[i], "query " + i);
        }
        assertTrue(ties < 5, ties + " near-ties");
    }

    @Test
    void tokenizeImagesFollowsPatchOrder() {
        float[] x = sample(prototypes(13), 14);
        KMeansTokenizer tok = KMeansTokenizer.fit(be, x, P, C, 8, 10, 15);
        Tensor img = Tensor.of(be, new Rng(16).normal(2 * 28 * 28, 0f, 1f), 2, 1, 28, 28);
        Tensor ids = tok.tokenizeImages(img);
        assertArrayEquals(new int[] {2, 49}, ids.shape());
        float[] v = img.toArray(), patch = new float[DIM];
        int[] all = ids.toIntArray();
        for (int n = 0; n < 2; n++) {
            for (int l = 0; l < 49; l++) {
                int pr = l / 7, pc = l % 7;
                for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) patch[i * 4 + j] = v[n * 784 + (pr * 4 + i) * 28 + pc * 4 + j];
                assertEquals(tok.tokenize(Tensor.of(be, patch, DIM)).toIntArray()[0], all[n * 49 + l], "image " + n + " patch " + l);
            }
        }
    }

    @Test
    void saveAndLoadRoundTrip(@TempDir Path dir) {
        float[] x = sample(prototypes(17), 18);
        KMeansTokenizer tok = KMeansTokenizer.fit(be, x, P, C, 12, 10, 19);
        Path f = dir.resolve("tok.safetensors");
        tok.save(f);
        KMeansTokenizer back = KMeansTokenizer.load(be, f);
        assertArrayEquals(tok.codebook(), back.codebook());
        assertEquals(12, back.k());
        assertEquals(4, back.patchSize());
        assertEquals(1, back.channels());
        assertEquals("19", back.metadata().get("seed"));
        assertEquals(KMeansTokenizer.FORMAT, back.metadata().get("format"));
        Tensor q = Tensor.of(be, x, CLUSTERS * PER, DIM);
        assertArrayEquals(tok.tokenize(q).toIntArray(), back.tokenize(q).toIntArray());
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> KMeansTokenizer.fit(be, new float[16 * 3], P, C, 4, 5, 1));
        assertThrows(RuntimeException.class, () -> KMeansTokenizer.fit(be, new float[17], P, C, 1, 5, 1));
    }
}
