package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.testing.Backends;
import org.junit.jupiter.api.Test;

/**
 * A bad gather index must fail on the GPU with the message the CPU reference gives. The kernel records
 * {kind, o, j, index, length}; this checks (without a GPU) that {@link GatherCuda#message} turns that record
 * into the CPU's exact text.
 */
class GatherCudaErrorTest {

    @Test
    void messagesMatchTheCpuReference() {
        Backend cpu = Backends.cpu();
        Buffer src = cpu.allocate(2 * 5 * 3), out = cpu.allocate(2 * 4 * 3), idx = cpu.allocateInts(8);
        cpu.uploadInts(new int[] {0, 1, 2, 3, 4, 0, 7, 1}, idx);
        var g = assertThrows(IndexOutOfBoundsException.class, () -> cpu.gather(src, idx, out, 2, 5, 4, 3));
        assertEquals(g.getMessage(), GatherCuda.message(new int[] {1, 1, 2, 7, 5}));
        var s = assertThrows(IndexOutOfBoundsException.class, () -> cpu.scatterAdd(out, idx, src, 2, 5, 4, 3));
        assertEquals(s.getMessage(), GatherCuda.message(new int[] {2, 1, 2, 7, 5}));
    }
}
