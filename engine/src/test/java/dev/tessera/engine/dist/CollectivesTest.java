package dev.tessera.engine.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.cpu.CpuBackend;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The world of one, and the collective timeout's setting. Real MPI jobs run in train's DataParallelTest under mpirun. */
class CollectivesTest {
    @Test
    void aWorldOfOneLeavesEveryValueAsItIs() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            Collectives c = Collectives.single();
            assertEquals(0, c.rank());
            assertEquals(1, c.worldSize());
            Buffer b = cpu.allocate(3);
            cpu.upload(new float[] {1, 2, 3}, b);
            c.allReduceSum(b).await();
            c.broadcast(b, 0);
            assertArrayEquals(new float[] {1, 2, 3}, cpu.download(b));
            assertArrayEquals(new double[] {4.5}, c.allReduceSum(new double[] {4.5}));
            assertThrows(IllegalArgumentException.class, () -> c.broadcast(b, 1));
        }
    }

    @Test
    void theTimeoutIsSecondsFromTheEnvironmentOrFiveMinutes() {
        assertEquals(Duration.ofSeconds(300), Mpi.timeoutFrom(null));
        assertEquals(Duration.ofSeconds(300), Mpi.timeoutFrom(" "));
        assertEquals(Duration.ofMillis(2500), Mpi.timeoutFrom("2.5"));
        var e = assertThrows(IllegalArgumentException.class, () -> Mpi.timeoutFrom("-1"));
        assertEquals("TESSERA_COLLECTIVE_TIMEOUT must be a positive number of seconds, got '-1'", e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Mpi.timeoutFrom("soon")).getMessage().contains("'soon'"));
    }
}
