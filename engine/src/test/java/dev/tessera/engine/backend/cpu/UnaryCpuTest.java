package dev.tessera.engine.backend.cpu;

import static dev.tessera.engine.testing.Close.assertClose;

import dev.tessera.engine.backend.UnaryOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The unary kernel against {@link UnaryOp#apply}, op by op, on a length that splits over threads and ends
 * in a partial vector: bit-exact for every op except GELU on the fast path (float erf, {@link GeluCpuTest}),
 * and bit-exact for GELU too on the reference path.
 */
class UnaryCpuTest {
    static final Parallel PAR = new Parallel(2);

    @AfterAll
    static void close() {
        PAR.close();
    }

    @Test
    void everyOpMatchesItsDefinition() {
        int n = 40_003, off = 2;
        float[] x = LayerNormCpuTest.random(9, n + off, -4, 4);
        for (UnaryOp op : UnaryOp.values()) {
            float p = 1.7f;
            float[] src = x.clone();
            if (op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.POW) {
                for (int i = 0; i < src.length; i++) src[i] = Math.abs(src[i]) + 0.01f;
            }
            float[] e = new float[n];
            for (int i = 0; i < n; i++) e[i] = op.apply(src[off + i], p);
            for (boolean fast : new boolean[] {true, false}) {
                float[] out = new float[n + 1];
                UnaryCpu.apply(PAR, op, p, src, off, out, 1, n, fast);
                float[] got = java.util.Arrays.copyOfRange(out, 1, n + 1);
                boolean approx = fast && op == UnaryOp.GELU;
                assertClose(op + (fast ? "" : " (reference path)"), e, got, approx ? 4e-7 : 0, approx ? 2e-7 : 0);
            }
            // In place.
            float[] inPlace = src.clone();
            UnaryCpu.apply(PAR, op, p, inPlace, off, inPlace, off, n, false);
            assertClose(op + " in place", e, java.util.Arrays.copyOfRange(inPlace, off, n + off), 0, 0);
        }
    }
}
