package dev.tessera.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.CallLog;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Ops write every element of memory they take uninitialised before reading it: on a backend that hands out
 * NaN there, each op family's output and input gradient are bit for bit those of the plain CPU backend.
 */
class UninitializedMemoryTest {
    @Test
    void noOpReadsMemoryBeforeWritingIt() {
        Backend plain = Backends.cpu(), poisoned = CallLog.poisoningUninitialized(Backends.cpu());
        @SuppressWarnings("unchecked")
        BiFunction<Backend, Tensor, Tensor>[] ops = new BiFunction[] {
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> t.mul(2f).add(t).exp().div(t.square().add(1f)).sub(t.gelu()),
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> t.matmul(param(be, 9, 4, 4)).reshape(4, 3, 4).matmul(param(be, 8, 4, 4, 2)),
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> t.linear(param(be, 7, 5, 4), param(be, 6, 5)),
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> t.layerNorm(param(be, 5, 4), param(be, 4, 4), 1e-6f),
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> t.softmax(1).logSoftmax(-1),
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> Tensor.attention(t, t.mul(0.5f), t, 0.5f),
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> t.reshape(4, 3, 4).gather(1, Tensor.ofInts(be, new int[] {0, 2, 1, 1, 2, 0, 0, 0}, 4, 2)),
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> t.transpose(0, 3).narrow(0, 1, 2).contiguous().expand(2, 2, 2, 3, 2),
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> t.max(1, false).var(new int[] {0}, true, false),
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> Tensor.concat(1, t, t.exp()).split(3, 1, 3)[1],
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> Loss.crossEntropy(t.reshape(12, 4), Tensor.ofInts(be, new int[12], 12), 0.1f),
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> Dropout.dropPath(t, 0.5f, new SplittableRandom(1), true),
            (BiFunction<Backend, Tensor, Tensor>) (be, t) -> t.reshape(2, 2, 12).scatterAdd(1, Tensor.ofInts(be, new int[] {0, 2, 1, 1}, 2, 2), 3),
        };
        for (int i = 0; i < ops.length; i++) {
            float[][] a = run(ops[i], plain), b = run(ops[i], poisoned);
            assertArrayEquals(a[0], b[0], "op " + i + " output");
            assertArrayEquals(a[1], b[1], "op " + i + " input gradient");
        }
    }

    private static float[][] run(BiFunction<Backend, Tensor, Tensor> op, Backend be) {
        Tensor x = param(be, 1, 2, 2, 3, 4);
        Tensor y = op.apply(be, x);
        Tensor r = param(be, 2, y.shape()).detach();
        y.mul(r).sum().backward();
        return new float[][] {y.toArray(), x.grad().toArray()};
    }

    private static Tensor param(Backend be, long seed, int... shape) {
        Random rnd = new Random(seed);
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return Tensor.of(be, v, shape).requiresGrad(true);
    }
}
