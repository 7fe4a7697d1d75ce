package dev.tessera.engine.tensor;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.ops.Dropout;
import dev.tessera.engine.ops.Loss;
import dev.tessera.engine.tensor.internal.TensorInternals;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The tape itself: what gets recorded, how gradients accumulate, and where they stop. */
class AutogradTest {
    final Backend be = Backends.cpu();

    @Test
    void noGradModeRecordsNothing() {
        Tensor x = GradCheck.random(be, 1, -1f, 1f, 2, 2, 3, 4);
        Tensor w = GradCheck.random(be, 2, 0.5f, 1.5f, 4), m = GradCheck.random(be, 3, -1f, 1f, 4, 4);
        Tensor idx = Tensor.ofInts(be, new int[] {0, 2, 1, 1}, 2, 2);
        Tensor labels = Tensor.ofInts(be, new int[] {0, 3}, 2);
        @SuppressWarnings("unchecked")
        Function<Tensor, Tensor>[] ops = new Function[] {
            (Function<Tensor, Tensor>) t -> t.mul(2f).add(t).exp(),
            (Function<Tensor, Tensor>) t -> t.matmul(m),
            (Function<Tensor, Tensor>) t -> t.linear(m, w),
            (Function<Tensor, Tensor>) t -> t.layerNorm(w, w, 1e-6f),
            (Function<Tensor, Tensor>) t -> t.softmax(1).logSoftmax(-1),
            (Function<Tensor, Tensor>) t -> Tensor.attention(t, t, t, 0.5f),
            (Function<Tensor, Tensor>) t -> t.reshape(4, 3, 4).gather(1, Tensor.ofInts(be, new int[8], 4, 2)),
            (Function<Tensor, Tensor>) t -> t.transpose(0, 3).narrow(0, 1, 2).contiguous().expand(2, 2, 2, 3, 2),
            (Function<Tensor, Tensor>) t -> t.max(1, false).var(new int[] {0}, true, false).sum(),
            (Function<Tensor, Tensor>) t -> Loss.crossEntropy(t.reshape(12, 4).narrow(0, 0, 2), labels, 0.1f),
            (Function<Tensor, Tensor>) t -> Dropout.dropout(t, 0.5f, new SplittableRandom(1), true),
            (Function<Tensor, Tensor>) t -> t.reshape(2, 2, 12).scatterAdd(1, idx, 3),
        };
        for (int i = 0; i < ops.length; i++) {
            assertTrue(ops[i].apply(x).requiresGrad(), "op " + i + " records with grad mode on");
            try (var off = GradMode.noGrad()) {
                Tensor y = ops[i].apply(x);
                assertFalse(y.requiresGrad(), "op " + i + " recorded in no-grad mode");
                assertThrows(IllegalStateException.class, () -> y.sum().backward());
            }
        }
        assertTrue(GradMode.isEnabled(), "noGrad() restores the previous mode");
    }

    @Test
    void detachStopsGradients() {
        Tensor x = Tensor.of(be, new float[] {1f, 2f, 3f}, 3).requiresGrad(true);
        // d/dx Σ x·stop(x) = stop(x) = x, not 2x.
        x.mul(x.detach()).sum().backward();
        assertClose("d x·detach(x)", new float[] {1, 2, 3}, x.grad().toArray(), 0, 0);
        Tensor y = Tensor.of(be, new float[] {1f, 2f, 3f}, 3).requiresGrad(true);
        Tensor d = y.exp().detach();
        assertFalse(d.requiresGrad());
        assertNull(y.grad());
    }

    @Test
    void gradientsAccumulateOverConsumersAndCalls() {
        Tensor x = Tensor.of(be, new float[] {1f, -2f}, 2).requiresGrad(true);
        // y = x² + 3x (x feeds three consumers): dy/dx = 2x + 3.
        x.mul(x).add(x.mul(3f)).sum().backward();
        assertClose("2x + 3", new float[] {5, -1}, x.grad().toArray(), 0, 0);
        // A second backward adds to the leaf's gradient (micro-batch accumulation).
        x.mul(2f).sum().backward();
        assertClose("2x + 3 + 2", new float[] {7, 1}, x.grad().toArray(), 0, 0);
    }

    @Test
    void persistentGradientsMustBeDense() {
        Tensor p = Tensor.zeros(be, 2, 3).requiresGrad(true);
        Tensor g = Tensor.zeros(be, 2, 3);
        TensorInternals.setGrad(p, g);
        p.mul(2f).sum().backward();
        assertClose("into the preset grad", new float[] {2, 2, 2, 2, 2, 2}, g.toArray(), 0, 0);
        assertThrows(IllegalArgumentException.class, () -> TensorInternals.setGrad(p, Tensor.zeros(be, 3, 2).transpose(0, 1)));
        assertThrows(ShapeException.class, () -> TensorInternals.setGrad(p, Tensor.zeros(be, 3, 2)));
    }
}
