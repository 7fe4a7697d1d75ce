package dev.tessera.engine.testing;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.nn.Parameter;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Finite-difference gradient check (central differences), the proof behind every op's backward rule.
 *
 * <p>The op's output is projected on a fixed random tensor R, L = Σ out·R, so one backward pass checks the
 * whole Jacobian against perturbations of each input element: dL/dx_i ≈ (L(x+h·e_i) − L(x−h·e_i)) / 2h.
 *
 * <p>Tolerance (documented, float32 only): the engine has no float64, so L is accumulated in double on the
 * host but every op output is rounded to float32 (relative error ~6e-8). With h = 1e-2 the truncation error
 * is O(h²·f''') ≈ 1e-4·scale and rounding adds ≈ 6e-8·|L|/h. An element passes when
 * |analytic − numeric| ≤ atol + rtol·|numeric| with atol = 2e-3·(1 + |L|/100), rtol = 2e-2. Ops with kinks (relu)
 * must keep inputs away from them; tests choose inputs that do.
 */
public final class GradCheck {
    private GradCheck() {}

    public static final float H = 1e-2f;

    /** Checks d(Σ f(inputs)·R)/d(input) for every input that requires grad. */
    public static void check(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        check(name, f, H, 2e-2, inputs);
    }

    public static void check(String name, Function<Tensor[], Tensor> f, float h, double rtol, Tensor... inputs) {
        Backend be = inputs[0].backend();
        Tensor out = f.apply(inputs);
        float[] r = new float[out.numel()];
        Random rnd = new Random(1234);
        for (int i = 0; i < r.length; i++) r[i] = (float) (rnd.nextGaussian());
        Tensor rt = Tensor.of(be, r, out.shape());
        for (Tensor in : inputs) if (in.requiresGrad()) in.clearGrad();
        Tensor loss = out.mul(rt).sum();
        double l0 = Math.abs(loss.item());
        loss.backward();
        double atol = 2e-3 * (1 + l0 / 100);
        for (int t = 0; t < inputs.length; t++) {
            Tensor in = inputs[t];
            if (!in.requiresGrad()) continue;
            float[] analytic = in.grad() == null ? new float[in.numel()] : in.grad().toArray();
            float[] x = in.toArray();
            float[] numeric = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                float orig = x[i];
                x[i] = orig + h;
                double lp = project(f, inputs, t, x, r, be);
                x[i] = orig - h;
                double lm = project(f, inputs, t, x, r, be);
                x[i] = orig;
                numeric[i] = (float) ((lp - lm) / (2 * h));
            }
            Close.assertClose(name + " d/d(input " + t + ")", numeric, analytic, in.shape(), atol, rtol);
        }
    }

    private static double project(Function<Tensor[], Tensor> f, Tensor[] inputs, int which, float[] x, float[] r,
                                  Backend be) {
        Tensor[] args = inputs.clone();
        args[which] = Tensor.of(be, x, inputs[which].shape());
        try (var off = GradMode.noGrad()) {
            float[] out = f.apply(args).toArray();
            double s = 0;
            for (int i = 0; i < out.length; i++) s += (double) out[i] * r[i];
            return s;
        }
    }

    /** A tensor of uniform values in [lo, hi) that requires grad. */
    public static Tensor random(Backend be, long seed, float lo, float hi, int... shape) {
        Random rnd = new Random(seed);
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * rnd.nextFloat();
        return Tensor.of(be, v, shape).requiresGrad(true);
    }

    /**
     * The gradient check of a whole model, one direction per parameter: for each trainable parameter p the analytic
     * ⟨∂L/∂p, v⟩ from one backward pass must match the derivative of the loss along a unit direction v, taken by
     * the five-point central difference [−L(p+2hv) + 8L(p+hv) − 8L(p−hv) + L(p−2hv)] / 12h, whose error is
     * O(h⁴): LayerNorm inputs as small as CAE's mask token (std 0.02) curve too much for the two-point one. A check of every element would take thousands of forwards per tensor; v
     * is half the analytic gradient's own direction (so the derivative is large against rounding, and a gradient
     * that is wrong in size or direction shows) and half a random one (so a component the gradient misses shows
     * too). {@code loss} must be deterministic (fixed masks, no dropout).
     *
     * <p>Tolerance: the loss is a float32 sum of many ops, good to a few ulps (~1e-7·|L| each), which the stencil
     * multiplies by 18/12h = 150 for h = 1e-2: a parameter passes when |analytic − numeric| ≤ 1e-4·(1 + |L|) +
     * 2e-2·|numeric|.
     */
    public static void checkParameters(String name, Map<String, Parameter> params, Supplier<Tensor> loss) {
        for (Parameter p : params.values()) if (p.trainable()) p.tensor().clearGrad();
        Tensor l = loss.get();
        double l0 = Math.abs(l.item());
        l.backward();
        double atol = 1e-4 * (1 + l0), h = H;
        Random rnd = new Random(4321);
        for (var e : params.entrySet()) {
            Parameter p = e.getValue();
            if (!p.trainable()) continue;
            Tensor t = p.tensor();
            float[] x = t.toArray(), g = t.grad() == null ? new float[x.length] : t.grad().toArray();
            double[] r = new double[x.length];
            for (int i = 0; i < r.length; i++) r[i] = rnd.nextGaussian();
            double gNorm = norm(g), rNorm = norm(r);
            float[] v = new float[x.length];
            for (int i = 0; i < v.length; i++) v[i] = (float) ((gNorm > 0 ? g[i] / gNorm : 0) + r[i] / rNorm);
            double vNorm = norm(v), analytic = 0;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] / vNorm);
                analytic += (double) g[i] * v[i];
            }
            double numeric = (-lossAt(t, x, v, 2 * h, loss) + 8 * lossAt(t, x, v, h, loss)
                    - 8 * lossAt(t, x, v, -h, loss) + lossAt(t, x, v, -2 * h, loss)) / (12 * h);
            t.copyFrom(x);
            double tolerance = atol + 2e-2 * Math.abs(numeric);
            if (Boolean.getBoolean("gradcheck.verbose")) {
                System.out.printf("%s %s analytic %.6g numeric %.6g tolerance %.3g%n", name, e.getKey(), analytic, numeric, tolerance);
            }
            if (!(Math.abs(numeric - analytic) <= tolerance)) {
                throw new AssertionError(name + ": d loss / d " + e.getKey() + " along a unit direction: analytic "
                        + analytic + ", central difference " + numeric + " (tolerance " + tolerance + ")");
            }
        }
    }

    private static double norm(float[] a) {
        double s = 0;
        for (float x : a) s += (double) x * x;
        return Math.sqrt(s);
    }

    private static double norm(double[] a) {
        double s = 0;
        for (double x : a) s += x * x;
        return Math.sqrt(s);
    }

    private static double lossAt(Tensor t, float[] x, float[] v, double step, Supplier<Tensor> loss) {
        float[] moved = new float[x.length];
        for (int i = 0; i < x.length; i++) moved[i] = (float) (x[i] + step * v[i]);
        t.copyFrom(moved);
        try (var off = GradMode.noGrad()) {
            return loss.get().item();
        }
    }
}
