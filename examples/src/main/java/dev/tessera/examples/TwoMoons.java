package dev.tessera.examples;

import dev.tessera.engine.random.Rng;

/**
 * The "two moons" toy set (as scikit-learn's {@code make_moons}): class 0 on the upper half circle of radius 1
 * around (0, 0), class 1 on the lower half circle around (1, 0.5), plus Gaussian noise. No straight line
 * separates the classes, so a linear model cannot fit it and a small MLP can.
 */
final class TwoMoons {
    private TwoMoons() {}

    /** Fills {@code points} [n, 2] (row-major) and {@code labels} [n]: even rows class 0, odd rows class 1. */
    static void fill(float[] points, int[] labels, float noise, Rng rng) {
        int n = labels.length;
        if (points.length != 2 * n) throw new IllegalArgumentException("two moons: " + points.length + " coordinates for " + n + " points");
        for (int i = 0; i < n; i++) {
            double t = Math.PI * rng.nextDouble();
            boolean upper = i % 2 == 0;
            double px = upper ? Math.cos(t) : 1 - Math.cos(t);
            double py = upper ? Math.sin(t) : 0.5 - Math.sin(t);
            points[2 * i] = (float) (px + noise * rng.nextGaussian());
            points[2 * i + 1] = (float) (py + noise * rng.nextGaussian());
            labels[i] = upper ? 0 : 1;
        }
    }
}
