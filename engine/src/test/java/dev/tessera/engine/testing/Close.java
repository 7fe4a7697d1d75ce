package dev.tessera.engine.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;

/**
 * The one tolerance rule of the test suite (llm.c's validate_result): element i passes when
 * |actual − expected| ≤ atol + rtol·|expected|. On failure the message names the tensor, the worst element
 * (flat index and multi-index), its absolute and relative error, and the first few mismatches.
 */
public final class Close {
    private Close() {}

    public static void assertClose(String name, float[] expected, float[] actual, double atol, double rtol) {
        assertClose(name, expected, actual, null, atol, rtol);
    }

    public static void assertClose(String name, float[] expected, float[] actual, int[] shape, double atol, double rtol) {
        if (expected.length != actual.length) {
            fail(name + ": length " + actual.length + " but expected " + expected.length);
        }
        int worst = -1, bad = 0;
        double worstExcess = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i], err = Math.abs(a - e), allowed = atol + rtol * Math.abs(e);
            boolean ok = err <= allowed || (Double.isNaN(e) && Double.isNaN(a));
            if (!ok) {
                if (bad < 5) first.append(String.format("  [%d] expected %.7g got %.7g%n", i, e, a));
                bad++;
                double excess = Double.isNaN(err) ? Double.MAX_VALUE : err / allowed;
                if (excess > worstExcess) {
                    worstExcess = excess;
                    worst = i;
                }
            }
        }
        if (bad > 0) {
            double e = expected[worst], a = actual[worst];
            fail(String.format("%s: %d of %d elements off (atol %.1e, rtol %.1e); worst at %d%s: expected %.7g got %.7g "
                            + "(abs err %.3e, rel err %.3e)%n%s", name, bad, expected.length, atol, rtol, worst,
                    shape == null ? "" : " " + Arrays.toString(unravel(worst, shape)), e, a, Math.abs(a - e),
                    Math.abs(a - e) / Math.max(Math.abs(e), 1e-30), first));
        }
    }

    /** Largest |a−e|/|e| over elements with |e| > floor (for reporting). */
    public static double maxRelError(float[] expected, float[] actual, double floor) {
        double m = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), floor);
            m = Math.max(m, d);
        }
        return m;
    }

    static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }
}
