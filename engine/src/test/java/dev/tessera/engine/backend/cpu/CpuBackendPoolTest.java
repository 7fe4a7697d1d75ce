package dev.tessera.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.DebugScopes;

import dev.tessera.engine.backend.MemoryStats;
import dev.tessera.engine.backend.StepScope;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's array pool: a step's working set is reused in full even when it is larger than the cap
 * (a training step larger than a third of the heap must not re-allocate every step), while sizes a new phase
 * no longer asks for are dropped once the pool is over the cap and a new size misses.
 */
class CpuBackendPoolTest {

    @Test
    void aWorkingSetLargerThanTheCapIsReusedAndStaleSizesAreDropped() {
        try (CpuBackend be = new CpuBackend(1, 500)) {                       // cap: 500 bytes
            for (int step = 0; step < 3; step++) {
                try (StepScope s = be.openScope()) {
                    for (int i = 0; i < 3; i++) be.allocate(100);          // 1,200 bytes per step
                    be.allocateInts(10);
                }
            }
            MemoryStats warm = be.memoryStats();
            assertEquals(4, warm.systemAllocations(), "steps after the first are pool hits: " + warm);
            assertEquals(1240, warm.pooledBytes());
            try (StepScope s = be.openScope()) {
                be.allocate(100);                                           // a hit: its size stays
                be.allocate(50);                                            // a miss over the cap: evict the rest
                MemoryStats mid = be.memoryStats();
                assertEquals(800, mid.pooledBytes(), "the two free 100-float arrays stay, the int array goes: " + mid);
            }
            MemoryStats after = be.memoryStats();
            assertEquals(5, after.systemAllocations());
            assertEquals(800 + 400 + 200, after.pooledBytes());
            assertEquals(0, after.liveBuffers());
        }
    }

    @Test
    void uninitialisedAllocationReusesAReleasedArrayWithoutTheZeroFillAndAllocateStillZeroes() {
        try (CpuBackend be = new CpuBackend(1)) {
            float[] first;
            try (StepScope s = be.openScope()) {
                Buffer b = be.allocate(64);
                first = CpuBuffer.f(b);
                be.fill(b, 7f);
            }
            float seen;
            try (StepScope s = be.openScope()) {
                Buffer u = be.allocateUninitialized(64);
                assertSame(first, CpuBuffer.f(u), "the released array comes back");
                seen = CpuBuffer.f(u)[5];
            }
            // not zeroed: the old contents, or NaN when step-scope debugging poisons released arrays
            assertTrue(DebugScopes.ON ? Float.isNaN(seen) : seen == 7f, "element 5 = " + seen);
            try (StepScope s = be.openScope()) {
                be.fill(be.allocateUninitialized(64), 3f);
            }
            try (StepScope s = be.openScope()) {
                float[] z = CpuBuffer.f(be.allocate(64));
                for (float v : z) assertEquals(0f, v);
            }
            assertEquals(1, be.memoryStats().systemAllocations());
        }
    }
}
