package dev.tessera.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MaeStepTest {
    private static final int N = MaeStep.BATCH, L = 49, KEEP = 12, P = 4, DIM = 16;

    @Test
    void oneStepShapeByShape() {
        var text = new ByteArrayOutputStream();
        MaeStep.Result r = MaeStep.run(new PrintStream(text, true, StandardCharsets.UTF_8));
        String printed = text.toString(StandardCharsets.UTF_8);
        for (String shape : List.of("patchify         [8, 49, 16]", "ids_keep         [8, 12]", "mask             [8, 49]",
                "visible patches  [8, 12, 16]", "encoder latent   [8, 13, 192]", "decoder pred     [8, 49, 16]")) {
            assertTrue(printed.contains(shape), "prints " + shape + "; it printed:\n" + printed);
        }

        Tour.assertTranscript("MaeStep", printed);

        // Masking: the kept patches are the len_keep smallest noise values of each row, smallest first.
        for (int s = 0; s < N; s++) {
            Integer[] order = new Integer[L];
            for (int i = 0; i < L; i++) order[i] = i;
            final int row = s * L;
            Arrays.sort(order, (a, b) -> Float.compare(r.noise()[row + a], r.noise()[row + b]));
            for (int t = 0; t < KEEP; t++) assertEquals(order[t].intValue(), r.idsKeep()[s * KEEP + t], "ids_keep[" + s + ", " + t + "]");
            int removed = 0;
            for (int i = 0; i < L; i++) removed += (int) r.mask()[row + i];
            assertEquals(L - KEEP, removed, "removed patches of sample " + s);
            for (int t = 0; t < KEEP; t++) assertEquals(0f, r.mask()[row + r.idsKeep()[s * KEEP + t]], "a kept patch is not masked");
        }

        // The loss, recomputed here from its definition: norm-pix targets (unbiased variance, eps 1e-6) of
        // channel-last patches, per-patch MSE, mean over removed patches.
        double[] target = normPixPatches(r.images());
        double sum = 0, predSq = 0;
        int count = 0;
        for (int s = 0; s < N; s++)
            for (int i = 0; i < L; i++) {
                if (r.mask()[s * L + i] == 0f) continue;
                double mse = 0;
                for (int k = 0; k < DIM; k++) {
                    int at = (s * L + i) * DIM + k;
                    double diff = r.pred()[at] - target[at];
                    mse += diff * diff;
                    predSq += (double) r.pred()[at] * r.pred()[at];
                }
                sum += mse / DIM;
                count++;
            }
        assertEquals(sum / count, r.loss(), 1e-4 * sum / count, "loss = mean per-patch MSE over removed patches");

        // Expected range at initialisation: the removed pixels never reach the model, so prediction and target are
        // independent and E[loss] = E[target²] + E[pred²], with E[target²] = (n−1)/n for unit-variance patches of
        // n = 16 values (Bessel's correction). The cross term averages out over 296 × 16 values.
        double expected = (DIM - 1.0) / DIM + predSq / (count * DIM);
        assertTrue(Float.isFinite(r.loss()) && Math.abs(r.loss() - expected) < 0.1 * expected,
                "initial loss " + r.loss() + " should be near E[t²] + E[pred²] = " + expected);

        // Every part of the model received a gradient, and one AdamW step lowers the loss on the same batch.
        assertEquals(List.of("cls_token", "mask_token", "patch_embed", "blocks", "norm", "decoder_embed", "decoder_blocks",
                "decoder_norm", "decoder_pred"), List.copyOf(r.gradNorms().keySet()));
        r.gradNorms().forEach((part, g) -> assertTrue(g > 1e-6 && Double.isFinite(g), part + " gradient norm " + g));
        assertTrue(r.lossAfterStep() < r.loss(), "loss after one step " + r.lossAfterStep() + " vs " + r.loss());
    }

    /** patchify (patch n = r·7 + c, inside a patch i·4 + j for one channel) and per-patch (x − μ)/√(σ²_unbiased + 1e-6). */
    private static double[] normPixPatches(float[] images) {
        double[] out = new double[N * L * DIM];
        for (int s = 0; s < N; s++)
            for (int r = 0; r < 7; r++)
                for (int c = 0; c < 7; c++) {
                    double[] v = new double[DIM];
                    for (int i = 0; i < P; i++) for (int j = 0; j < P; j++) v[i * P + j] = images[s * 784 + (r * P + i) * 28 + c * P + j];
                    double mu = Arrays.stream(v).average().orElseThrow(), var = 0;
                    for (double x : v) var += (x - mu) * (x - mu);
                    var /= DIM - 1;
                    for (int k = 0; k < DIM; k++) out[((s * L) + r * 7 + c) * DIM + k] = (v[k] - mu) / Math.sqrt(var + 1e-6);
                }
        return out;
    }
}
