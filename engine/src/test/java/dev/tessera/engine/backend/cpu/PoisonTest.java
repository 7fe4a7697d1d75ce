package dev.tessera.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.DebugScopes;
import dev.tessera.engine.backend.StepScope;
import org.junit.jupiter.api.Test;

/** With the step-scope net on, a closing scope marks its buffers released and fills their memory with poison. */
class PoisonTest {
    @Test
    void aClosedScopesBuffersAreMarkedAndPoisoned() {
        assertTrue(DebugScopes.ON, "the parent POM runs the tests with -Dtessera.debug.scopes=true");
        try (CpuBackend be = new CpuBackend(1)) {
            Buffer persistent = be.allocate(4);
            Buffer floats, view, ints;
            try (StepScope s = be.openScope()) {
                floats = be.allocate(4);
                be.upload(new float[] {1, 2, 3, 4}, floats);
                view = floats.slice(1, 2);
                ints = be.allocateInts(3);
                assertFalse(floats.released() || view.released() || ints.released());
            }
            assertTrue(floats.released() && view.released() && ints.released());
            assertFalse(persistent.released());
            for (int i = 0; i < 4; i++) assertTrue(Float.isNaN(CpuBuffer.f(floats)[i]), "element " + i);
            for (int i = 0; i < 3; i++) assertEquals(Integer.MIN_VALUE, CpuBuffer.i(ints)[i]);
            // The pool hands the array out again, zero-filled, to a buffer of the new scope that is live.
            try (StepScope s = be.openScope()) {
                Buffer again = be.allocate(4);
                assertTrue(CpuBuffer.f(again) == CpuBuffer.f(floats), "the released array is reused");
                assertFalse(again.released());
                assertEquals(0f, be.download(again)[0]);
            }
        }
    }
}
