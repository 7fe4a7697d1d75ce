package dev.tessera.examples;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tape;
import dev.tessera.engine.tensor.Tensor;
import java.io.PrintStream;
import java.util.function.UnaryOperator;

/**
 * How to add an op: softplus(x) = log(1 + eˣ), a smooth ReLU whose derivative is the logistic sigmoid
 * σ(x) = 1/(1 + e⁻ˣ). An op is two things: a forward that computes the output, and a backward rule that the
 * tape calls with d(loss)/d(output) and that returns d(loss)/d(input), one gradient per input; the tape adds it
 * to the input's gradient ({@link Tape#record}). Then a finite-difference check proves that the two agree.
 *
 * <p>This forward computes on the host for clarity; the engine's own ops call one {@link Backend} kernel
 * instead (see {@code ops/Elementwise}), so they run on the GPU too.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp examples/target/tessera-examples.jar dev.tessera.examples.SoftplusOp
 * </pre>
 */
public final class SoftplusOp {
    private SoftplusOp() {}

    /** softplus, elementwise, for any shape; recorded on the tape when {@code x} requires grad. */
    public static Tensor softplus(Tensor x) {
        Backend be = x.backend();
        float[] xs = x.toArray();                                   // row-major host copy (strided x is fine)
        float[] ys = new float[xs.length];
        for (int i = 0; i < xs.length; i++) ys[i] = (float) softplus(xs[i]);
        Tensor y = Tensor.of(be, ys, x.shape());                    // a new tensor, no history yet
        return Tape.record("softplus", y, gradOut -> {
            float[] g = gradOut.toArray(), dx = new float[g.length];
            for (int i = 0; i < g.length; i++) dx[i] = (float) (g[i] * sigmoid(xs[i]));   // chain rule: g·σ(x)
            return new Tensor[] {Tensor.of(be, dx, x.shape())};
        }, x);
    }

    /** log(1 + eˣ) written so that neither large nor very negative x overflows or loses digits. */
    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /**
     * Central differences on L(x) = Σ f(x)·r with a fixed random r: for every element,
     * dL/dxᵢ ≈ (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h, compared with what backward() put into x's gradient.
     *
     * @return the largest |analytic − numeric| / (1 + |numeric|) over the elements of x
     */
    public static double gradCheck(UnaryOperator<Tensor> f, Tensor x, float h) {
        Backend be = x.backend();
        float[] r = new Rng(7).normal(x.numel(), 0f, 1f);
        Tensor rt = Tensor.of(be, r, f.apply(x.detach()).shape());
        f.apply(x).mul(rt).sum().backward();
        float[] analytic = x.grad().toArray(), xs = x.toArray();
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            float orig = xs[i];
            xs[i] = orig + h;
            double plus = project(f, be, xs, x.shape(), r);
            xs[i] = orig - h;
            double minus = project(f, be, xs, x.shape(), r);
            xs[i] = orig;
            double numeric = (plus - minus) / (2 * h);
            worst = Math.max(worst, Math.abs(analytic[i] - numeric) / (1 + Math.abs(numeric)));
        }
        return worst;
    }

    private static double project(UnaryOperator<Tensor> f, Backend be, float[] xs, int[] shape, float[] r) {
        try (var noGrad = GradMode.noGrad()) {
            float[] y = f.apply(Tensor.of(be, xs, shape)).toArray();
            double s = 0;
            for (int i = 0; i < y.length; i++) s += (double) y[i] * r[i];   // summed in double: less rounding noise
            return s;
        }
    }

    public static void main(String[] args) {
        run(System.out);
    }

    /** Prints a small forward and the gradcheck; returns the gradcheck's worst relative error. */
    static double run(PrintStream out) {
        Backend be = new CpuBackend(1);
        Tensor x = Tensor.of(be, new Rng(1).uniform(12, -4f, 4f), 3, 4).requiresGrad(true);
        out.println("x           " + x + "  first row " + java.util.Arrays.toString(x.narrow(0, 0, 1).toArray()));
        Tensor y = softplus(x);
        out.println("softplus(x) " + y + "  first row " + java.util.Arrays.toString(y.narrow(0, 0, 1).toArray()));
        double err = gradCheck(SoftplusOp::softplus, x, 1e-2f);
        out.printf("gradcheck: worst |analytic − numeric| / (1 + |numeric|) = %.2e  (%s)%n", err, err < 1e-3 ? "pass" : "FAIL");
        return err;
    }
}
