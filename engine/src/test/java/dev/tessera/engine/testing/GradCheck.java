package dev.tessera.engine.testing;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import java.util.Random;
import java.util.function.Function;

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
}
