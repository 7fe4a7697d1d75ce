package dev.tessera.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.testing.Backends;
import org.junit.jupiter.api.Test;

/**
 * {@code Backend.adamWRanges} (one call for all ranges of a parameter group) against one {@code adamW} call per
 * range: bit-identical, elements outside every range untouched, bad tables refused before anything changes.
 */
class AdamWRangesTest {
    final Backend be = Backends.cpu();

    Buffer put(float[] v) {
        Buffer b = be.allocate(v.length);
        be.upload(v, b);
        return b;
    }

    Buffer table(int... t) {
        Buffer b = be.allocateInts(t.length);
        be.uploadInts(t, b);
        return b;
    }

    @Test
    void oneCallEqualsOneCallPerRange() {
        int n = 50_000;
        float[] p0 = LayerNormCpuTest.random(1, n, -1, 1), g = LayerNormCpuTest.random(2, n, -1, 1);
        int[][] ranges = {{40_000, 9_000}, {7, 20_000}, {30_000, 1}};   // out of order, gaps between them
        Buffer pa = put(p0), ma = be.allocate(n), va = be.allocate(n), pb = put(p0), mb = be.allocate(n), vb = be.allocate(n);
        Buffer gb = put(g), t = table(40_000, 7, 30_000, 0, 9_000, 29_000, 29_001);
        for (int step = 1; step <= 3; step++) {
            AdamWStep s = new AdamWStep(1e-3f, 0.9f, 0.95f, 1e-8f, 0.05f, step);
            for (int[] r : ranges) {
                be.adamW(pa.slice(r[0], r[1]), gb.slice(r[0], r[1]), ma.slice(r[0], r[1]), va.slice(r[0], r[1]), s);
            }
            be.adamWRanges(pb, gb, mb, vb, t, 3, s);
        }
        assertArrayEquals(be.download(pa), be.download(pb));
        assertArrayEquals(be.download(ma), be.download(mb));
        assertArrayEquals(be.download(va), be.download(vb));
        assertEquals(p0[5], be.download(pb)[5], "outside every range");
    }

    @Test
    void badTablesAreRefusedBeforeAnyUpdate() {
        Buffer p = put(new float[] {1, 2, 3}), g = put(new float[] {1, 1, 1}), m = be.allocate(3), v = be.allocate(3);
        AdamWStep s = new AdamWStep(1e-3f, 0.9f, 0.95f, 1e-8f, 0f, 1);
        assertEquals("adamWRanges: range 1 [2, +2) is outside the 3 elements", assertThrows(IllegalArgumentException.class,
                () -> be.adamWRanges(p, g, m, v, table(0, 2, 0, 1, 3), 2, s)).getMessage());
        assertEquals("adamWRanges: a table of 2 ranges has 2·count + 1 = 5 elements, got 4", assertThrows(IllegalArgumentException.class,
                () -> be.adamWRanges(p, g, m, v, table(0, 2, 0, 1), 2, s)).getMessage());
        assertArrayEquals(new float[] {1, 2, 3}, be.download(p));
    }
}
