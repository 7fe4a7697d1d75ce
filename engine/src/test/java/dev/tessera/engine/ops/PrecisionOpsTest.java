package dev.tessera.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.engine.backend.Precision;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.GradCheck;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * The layers see tf32/bf16 exactly where autocast puts it: a linear layer and a batched matmul on a backend in tf32
 * or bf16 give, forward and in every gradient, the bits an fp32 backend gives on operands rounded beforehand (the
 * upstream gradient included) — so every product of the forward pass and both backward GEMMs goes through
 * {@code Backend.matmul}'s rounding, and nothing else (the bias, its gradient) is rounded. A fused path that skipped
 * the rounding would differ here.
 */
class PrecisionOpsTest {

    @Test
    void linearAndMatmulRoundTheOperandsOfEveryProductAndNothingElse() {
        for (Precision p : new Precision[] {Precision.TF32, Precision.BF16}) {
            check(p, new int[] {6, 10}, new int[] {7, 10}, new int[] {6, 7}, (x, w) -> MatMul.linear(x, w, null));
            check(p, new int[] {2, 3, 4}, new int[] {2, 4, 5}, new int[] {2, 3, 5}, Tensor::matmul);
            check(p, new int[] {2, 3, 4}, new int[] {4, 5}, new int[] {2, 3, 5}, Tensor::matmul);   // a shared weight
        }
    }

    @Test
    void linearBiasStaysFp32() {
        for (Precision p : new Precision[] {Precision.TF32, Precision.BF16}) {
            try (CpuBackend lo = new CpuBackend(2, p); CpuBackend ref = new CpuBackend(2)) {
                float[] b = GradCheck.random(ref, 9, -1f, 1f, 7).toArray();
                float[][] got = run(lo, p, false, new int[] {6, 10}, new int[] {7, 10}, new int[] {6, 7}, b);
                float[][] want = run(ref, p, true, new int[] {6, 10}, new int[] {7, 10}, new int[] {6, 7}, b);
                for (int i = 0; i < got.length; i++) assertArrayEquals(want[i], got[i], p + " linear with bias, output " + i);
            }
        }
    }

    private static void check(Precision p, int[] xs, int[] ws, int[] gs, BiFunction<Tensor, Tensor, Tensor> f) {
        try (CpuBackend lo = new CpuBackend(2, p); CpuBackend ref = new CpuBackend(2)) {
            float[][] got = run(lo, p, false, xs, ws, gs, f), want = run(ref, p, true, xs, ws, gs, f);
            for (int i = 0; i < got.length; i++) assertArrayEquals(want[i], got[i], p + " output " + i);
        }
    }

    private static float[][] run(CpuBackend be, Precision p, boolean preRound, int[] xs, int[] ws, int[] gs, float[] bias) {
        return run(be, p, preRound, xs, ws, gs, (x, w) -> MatMul.linear(x, w, Tensor.of(be, bias, bias.length).requiresGrad(true)));
    }

    /** y = f(x, w), loss = Σ y·g; returns y, dx, dw. With preRound, x, w and g are rounded to p first. */
    private static float[][] run(CpuBackend be, Precision p, boolean preRound, int[] xs, int[] ws, int[] gs,
                                 BiFunction<Tensor, Tensor, Tensor> f) {
        Tensor x = input(be, p, preRound, 1, xs), w = input(be, p, preRound, 2, ws), g = input(be, p, preRound, 3, gs);
        x.requiresGrad(true);
        w.requiresGrad(true);
        Tensor y = f.apply(x, w);
        y.mul(g).sum().backward();
        return new float[][] {y.toArray(), x.grad().toArray(), w.grad().toArray()};
    }

    private static Tensor input(CpuBackend be, Precision p, boolean preRound, long seed, int... shape) {
        float[] v = GradCheck.random(be, seed, -2f, 2f, shape).toArray();
        if (preRound) p.round(v, 0, v, 0, v.length);
        return Tensor.of(be, v, shape);
    }
}
