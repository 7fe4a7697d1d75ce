package dev.tessera.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.cae.CaeConfig;
import dev.tessera.data.Batch;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.mae.MaeConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Whole MAE and CAE training steps give the same bits on 1, 2 and 3 CPU threads: every loss, every gradient and
 * every parameter after AdamW. Each kernel has its own thread-count test; this one catches a kernel called from
 * a path its test does not cover (the fused Linear+GELU backward ran GELU_GRAD over a flat run cut at any
 * element, and 3 threads changed mae-tiny's gradients). Batch 5 makes row counts odd, so splits fall off every
 * vector and tile boundary.
 */
class ThreadCountInvarianceTest {

    @Test
    void maeTinyStepsAreBitIdenticalOnOneTwoAndThreeThreads() {
        assertSameBitsForEveryThreadCount("mae-tiny", be -> MaeObjective.create(MaeConfig.preset("mae-tiny"), be, 0));
    }

    @Test
    void caeTinyStepsAreBitIdenticalOnOneTwoAndThreeThreads() {
        assertSameBitsForEveryThreadCount("cae-tiny",
                be -> CaeObjective.create(CaeConfig.preset("cae-tiny").withPixelTarget(), be, 0, null));
    }

    private static void assertSameBitsForEveryThreadCount(String model, Function<CpuBackend, Objective> objective) {
        List<int[]> one = run(1, objective);
        for (int threads = 2; threads <= 3; threads++) {
            List<int[]> other = run(threads, objective);
            assertEquals(one.size(), other.size());
            for (int t = 0; t < one.size(); t++) {
                int[] a = one.get(t), b = other.get(t);
                for (int i = 0; i < a.length; i++) {
                    if (a[i] != b[i]) {
                        throw new AssertionError(model + ", " + threads + " threads: record " + t + " (" + what(t)
                                + ") differs from one thread at element " + i + ": " + Float.intBitsToFloat(b[i])
                                + " vs " + Float.intBitsToFloat(a[i]));
                    }
                }
            }
        }
    }

    private static String what(int record) {
        return switch (record % 3) {
            case 0 -> "loss";
            case 1 -> "gradients";
            default -> "parameters after AdamW";
        };
    }

    /** Per step: {loss bits}, {all gradient bits}, {all parameter bits after the update}. */
    private static List<int[]> run(int threads, Function<CpuBackend, Objective> objective) {
        List<int[]> records = new ArrayList<>();
        try (CpuBackend be = new CpuBackend(threads)) {
            Objective o = objective.apply(be);
            ParameterStore store = new ParameterStore(be, o.model());
            AdamW opt = new AdamW(store, AdamW.Config.pretrain(0.05f));
            int[] s = o.imageShape();
            int batch = 5;
            Rng data = new Rng(1);
            float[] px = new float[batch * s[0] * s[1] * s[2]];
            for (int i = 0; i < px.length; i++) px[i] = (float) data.nextGaussian();
            Batch b = new Batch(px, new int[batch], batch, s[0], s[1], s[2], new int[] {0, 1, 2, 3, 4});
            for (int step = 0; step < 2; step++) {
                store.zeroGrad();
                try (StepScope scope = be.openScope()) {
                    Tensor loss = o.loss(b, new Rng(1000 + step));
                    records.add(new int[] {Float.floatToRawIntBits(loss.item())});
                    loss.backward();
                }
                records.add(bits(be.download(store.grads())));
                opt.step(1e-3f);
                records.add(bits(be.download(store.values())));
            }
        }
        return records;
    }

    private static int[] bits(float[] values) {
        int[] b = new int[values.length];
        for (int i = 0; i < values.length; i++) b[i] = Float.floatToRawIntBits(values[i]);
        return b;
    }
}
