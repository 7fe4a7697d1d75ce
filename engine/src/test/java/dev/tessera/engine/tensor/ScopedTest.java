package dev.tessera.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

class ScopedTest {
    @Test
    void underNoGradOnlyTheResultSurvives() {
        try (CpuBackend be = new CpuBackend(1); var off = GradMode.noGrad(); StepScope s = be.openScope()) {
            Tensor x = Tensor.of(be, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            long before = be.memoryStats().liveBuffers();
            Tensor y = Scoped.keep(be, new int[] {3, 2}, () -> x.exp().add(1f).transpose(0, 1));   // 2 temporaries
            assertEquals(before + 1, be.memoryStats().liveBuffers());
            assertArrayEquals(x.transpose(0, 1).exp().add(1f).toArray(), y.toArray());
        }
    }

    @Test
    void withGradTheStageRunsInPlace() {
        try (CpuBackend be = new CpuBackend(1)) {
            Tensor x = Tensor.of(be, new float[] {1, 2}, 2).requiresGrad(true);
            Tensor[] inner = new Tensor[1];
            Tensor y = Scoped.keep(be, new int[] {2}, () -> inner[0] = x.mul(3f));
            assertSame(inner[0], y);
            y.sum().backward();
            assertArrayEquals(new float[] {3, 3}, x.grad().toArray());
        }
    }

    @Test
    void aWrongShapeIsNamed() {
        try (CpuBackend be = new CpuBackend(1); var off = GradMode.noGrad()) {
            ShapeException e = assertThrows(ShapeException.class, () -> Scoped.keep(be, new int[] {3}, () -> Tensor.zeros(be, 2)));
            assertEquals("Scoped.keep: the stage returned [2], expected [3]", e.getMessage());
        }
    }
}
