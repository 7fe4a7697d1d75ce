package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class GatherCpuTest {
    static final Parallel PAR = new Parallel(2);

    @AfterAll
    static void close() {
        PAR.close();
    }

    @Test
    void gatherCopiesRowsThroughOffsets() {
        // src [outer 2, srcLen 3, inner 2] stored at offset 1; index [2, 2] at offset 2; out at offset 3.
        float[] src = {99, 0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121};
        int[] idx = {-7, -7, 2, 0, 1, 1};
        float[] out = new float[3 + 8];
        GatherCpu.gather(PAR, src, 1, idx, 2, out, 3, 2, 3, 2, 2);
        assertClose("gather", new float[] {0, 0, 0, 20, 21, 0, 1, 110, 111, 110, 111}, out, 0, 0);
    }

    @Test
    void scatterAddSumsRepeatedIndicesIntoExistingValues() {
        float[] src = {1, 2, 3, 4, 5, 6, 7, 8}; // [outer 2, idxLen 2, inner 2]
        int[] idx = {1, 1, 0, 2};
        float[] dst = new float[12]; // [2, 3, 2]
        java.util.Arrays.fill(dst, 0.5f);
        GatherCpu.scatterAdd(PAR, src, 0, idx, 0, dst, 0, 2, 3, 2, 2);
        // Sample 0: both rows land on row 1 → (1+3, 2+4). Sample 1: row 0 ← (5, 6), row 2 ← (7, 8).
        assertClose("scatterAdd", new float[] {0.5f, 0.5f, 4.5f, 6.5f, 0.5f, 0.5f, 5.5f, 6.5f, 0.5f, 0.5f, 7.5f, 8.5f},
                dst, 0, 0);
    }

    @Test
    void outOfRangeIndicesAreNamedAndNothingIsWritten() {
        float[] src = new float[8];
        java.util.Arrays.fill(src, 1f);
        float[] out = new float[8];
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> GatherCpu.gather(PAR, src, 0, new int[] {0, 1, 3, 0}, 0, out, 0, 2, 3, 2, 2));
        assertTrue(e.getMessage().contains("gather") && e.getMessage().contains("index 3")
                && e.getMessage().contains("[1, 0]") && e.getMessage().contains("[0, 3)"), e.getMessage());
        assertClose("untouched", new float[8], out, 0, 0);
        float[] dst = new float[6];
        IndexOutOfBoundsException s = assertThrows(IndexOutOfBoundsException.class,
                () -> GatherCpu.scatterAdd(PAR, src, 0, new int[] {0, -1}, 0, dst, 0, 1, 3, 2, 2));
        assertTrue(s.getMessage().contains("scatterAdd") && s.getMessage().contains("index -1"), s.getMessage());
        assertClose("untouched", new float[6], dst, 0, 0);
    }
}
