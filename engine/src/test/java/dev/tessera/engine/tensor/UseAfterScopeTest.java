package dev.tessera.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.DebugScopes;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/** The step-scope safety net catches a tensor that outlives its scope, naming the op that made it and the one that used it. */
class UseAfterScopeTest {
    private static final String TAIL = " after the step scope that owned its memory closed; that memory is poisoned"
            + " with NaN and may already hold another step's data. Create what must outlive a step outside the"
            + " scope, or copy it to the host (toArray) before the scope closes";

    @Test
    void theTestSuiteRunsWithTheNetOn() {
        assertTrue(DebugScopes.ON, "the parent POM runs the tests with -Dtessera.debug.scopes=true");
    }

    @Test
    void usingAnActivationAfterItsStepFailsNamingBothOps() {
        try (CpuBackend be = new CpuBackend(1)) {
            Tensor w = Tensor.of(be, new float[] {1, 2, 3}, 3).requiresGrad(true);   // persistent, like a parameter
            Tensor leaked;
            try (StepScope step = be.openScope()) {
                leaked = Tensor.of(be, new float[] {4, 5, 6}, 3).mul(w);
                assertFalse(leaked.buffer().released());
                assertEquals(32f, leaked.sum().item());                              // fine inside the step
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> leaked.add(w));
            assertEquals("use after scope: Tensor[3] made by mul was used by Tensor.add" + TAIL, e.getMessage());
            e = assertThrows(IllegalStateException.class, leaked::toArray);
            assertEquals("use after scope: Tensor[3] made by mul was used by Tensor.toArray" + TAIL, e.getMessage());
            assertEquals(6f, w.sum().item(), "tensors made outside every scope stay usable");
        }
    }

    @Test
    void backwardThroughAClosedStepFailsToo() {
        try (CpuBackend be = new CpuBackend(1)) {
            Tensor w = Tensor.of(be, new float[] {1, 2}, 2).requiresGrad(true);
            Tensor loss;
            try (StepScope step = be.openScope()) {
                loss = w.exp().sum();
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
            assertTrue(e.getMessage().startsWith("use after scope: Tensor[2] made by exp was used by Tensor.backward"),
                    e.getMessage());
        }
    }
}
