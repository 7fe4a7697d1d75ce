package dev.tessera.engine.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.GradCheck;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link ScaledResidual#add} against the composition it replaces in the blocks, {@code x.add(dropPath(a.mul(gamma)))}:
 * the output and the gradients of x, a and gamma must be the same bits (the same mask draws, the same roundings, the
 * same order of gradient accumulation into x, which also feeds a), on 1 and 3 threads; plus a finite-difference check.
 */
class ScaledResidualTest {

    /** Everything a step would see from one residual: y, then x's, a's and gamma's gradients of Σ y·w. */
    private static float[][] run(CpuBackend be, boolean fused, boolean withGamma, float p, boolean training) {
        Tensor x = GradCheck.random(be, 1, -2f, 2f, 5, 7, 40);
        Tensor gamma = withGamma ? GradCheck.random(be, 2, 0.05f, 0.3f, 40) : null;
        Tensor w = GradCheck.random(be, 3, -1f, 1f, 5, 7, 40).requiresGrad(false);
        Tensor a = x.square().mul(w);                        // the branch depends on x, as attention's output does
        SplittableRandom rng = new SplittableRandom(11);
        Tensor y;
        if (fused) {
            y = ScaledResidual.add(x, a, gamma, p, rng, training);
        } else {
            Tensor t = gamma == null ? a : a.mul(gamma);
            y = x.add(Dropout.dropPath(t, p, rng, training));
        }
        y.mul(w).sum().backward();
        return new float[][] {y.toArray(), x.grad().toArray(), withGamma ? gamma.grad().toArray() : new float[0],
                new float[] {rng.nextFloat()}};   // the generator's next draw: both forms drew the same number
    }

    @Test
    void sameBitsAsTheComposedForm() {
        for (int threads : new int[] {1, 3}) {
            try (CpuBackend be = new CpuBackend(threads)) {
                for (boolean withGamma : new boolean[] {true, false}) {
                    for (float p : new float[] {0f, 0.5f}) {
                        for (boolean training : new boolean[] {true, false}) {
                            float[][] want = run(be, false, withGamma, p, training), got = run(be, true, withGamma, p, training);
                            String what = (withGamma ? "gamma" : "no gamma") + ", p=" + p + (training ? ", training" : ", eval")
                                    + ", " + threads + " threads";
                            String[] names = {"output", "x gradient", "gamma gradient", "next draw"};
                            for (int k = 0; k < names.length; k++) assertSameBits(want[k], got[k], what + ": " + names[k]);
                        }
                    }
                }
            }
        }
    }

    /**
     * CAE's first regressor block adds onto the mask token expanded over [N, M, D], a view with three uses; its
     * gradient must add up in the same order as with the composed ops (a contiguous copy in front would not).
     */
    @Test
    void aViewWithSeveralUsesGetsTheSameGradientBits() {
        float[][] got = new float[2][];
        for (int fused = 0; fused < 2; fused++) {
            try (CpuBackend be = new CpuBackend(2)) {
                Tensor token = GradCheck.random(be, 9, -1f, 1f, 1, 1, 40);
                Tensor gamma = GradCheck.random(be, 2, 0.05f, 0.3f, 40);
                Tensor w = GradCheck.random(be, 3, -1f, 1f, 5, 7, 40).requiresGrad(false);
                Tensor x = token.expand(5, 7, 40);
                Tensor a = x.square().mul(w), other = x.mul(w).mul(w);
                SplittableRandom rng = new SplittableRandom(8);
                Tensor y = fused == 1 ? ScaledResidual.add(x, a, gamma, 0.5f, rng, true)
                        : x.add(Dropout.dropPath(a.mul(gamma), 0.5f, rng, true));
                y.add(other).mul(w).sum().backward();
                got[fused] = token.grad().toArray();
            }
        }
        assertSameBits(got[0], got[1], "the expanded token's gradient");
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (CpuBackend be = new CpuBackend(2)) {
            Tensor x = GradCheck.random(be, 4, -1f, 1f, 3, 4, 20), a = GradCheck.random(be, 5, -1f, 1f, 3, 4, 20);
            Tensor gamma = GradCheck.random(be, 6, 0.5f, 1.5f, 20);
            // p = 0.5 over 3 samples with seed 8 keeps samples 0 and 2 and drops sample 1 (checked below).
            Function<Tensor[], Tensor> f = t -> ScaledResidual.add(t[0], t[1], t[2], 0.5f, new SplittableRandom(8), true);
            float[] keep = Dropout.dropPathKeep("test", x, 0.5f, new SplittableRandom(8), true);
            assertEquals(2, keep.length == 3 ? countDistinct(keep) : -1, "the mask should both keep and drop");
            GradCheck.check("scaledResidual", f, x, a, gamma);
            GradCheck.check("scaledResidual without gamma",
                    t -> ScaledResidual.add(t[0], t[1], null, 0.5f, new SplittableRandom(8), true), x, a);
        }
    }

    private static int countDistinct(float[] v) {
        return (int) java.util.stream.IntStream.range(0, v.length).mapToDouble(i -> v[i]).distinct().count();
    }

    private static void assertSameBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                assertEquals(want[i], got[i], what + ": element " + i + " differs in its bits");
            }
        }
    }
}
