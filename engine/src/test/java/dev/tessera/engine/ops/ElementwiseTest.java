package dev.tessera.engine.ops;

import static dev.tessera.engine.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.tensor.ShapeException;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

class ElementwiseTest {
    final Backend be = Backends.cpu();

    @Test
    void addBroadcastsAndSumsGradientBack() {
        Tensor a = Tensor.of(be, new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor b = Tensor.of(be, new float[] {10, 20, 30}, 3).requiresGrad(true);
        assertClose("a+b", new float[] {11, 22, 33, 14, 25, 36}, a.add(b).toArray(), 0, 0);
        GradCheck.check("add", t -> t[0].add(t[1]), a, b);
    }

    @Test
    void subMulDivForwardAndGradients() {
        Tensor a = GradCheck.random(be, 1, 0.5f, 2f, 2, 3, 4);
        Tensor b = GradCheck.random(be, 2, 0.5f, 2f, 3, 1);
        float[] av = a.toArray(), bv = b.toArray(), q = a.div(b).toArray();
        for (int i = 0; i < av.length; i++) assertEquals(av[i] / bv[(i / 4) % 3], q[i], 1e-6);
        GradCheck.check("sub", t -> t[0].sub(t[1]), a, b);
        GradCheck.check("mul", t -> t[0].mul(t[1]), a, b);
        GradCheck.check("div", t -> t[0].div(t[1]), a, b);
    }

    @Test
    void unaryOpsForwardAndGradients() {
        Tensor x = GradCheck.random(be, 3, 0.2f, 2f, 3, 5);
        float[] xv = x.toArray();
        float[] e = new float[xv.length];
        for (int i = 0; i < xv.length; i++) e[i] = (float) Math.exp(xv[i]);
        assertClose("exp", e, x.exp().toArray(), 0, 1e-6);
        GradCheck.check("exp", t -> t[0].exp(), x);
        GradCheck.check("log", t -> t[0].log(), x);
        GradCheck.check("sqrt", t -> t[0].sqrt(), x);
        GradCheck.check("pow", t -> t[0].pow(2.5f), x);
        float[] sq = new float[xv.length];
        for (int i = 0; i < xv.length; i++) sq[i] = xv[i] * xv[i];
        assertClose("square", sq, x.square().toArray(), 0, 0);
        GradCheck.check("square", t -> t[0].square(), x);
        GradCheck.check("neg", t -> t[0].neg(), x);
        GradCheck.check("scale", t -> t[0].mul(3f), x);
        GradCheck.check("addScalar", t -> t[0].add(3f), x);
        Tensor s = GradCheck.random(be, 4, -2f, 2f, 4, 4);
        GradCheck.check("tanh", t -> t[0].tanh(), s);
        GradCheck.check("gelu", t -> t[0].gelu(), s);
    }

    @Test
    void reluAwayFromTheKink() {
        Tensor x = Tensor.of(be, new float[] {-1.5f, -0.5f, 0.5f, 1.5f}, 4).requiresGrad(true);
        assertClose("relu", new float[] {0, 0, 0.5f, 1.5f}, x.relu().toArray(), 0, 0);
        GradCheck.check("relu", t -> t[0].relu(), x);
    }

    @Test
    void geluIsTheExactErfForm() {
        // Reference values of x·Φ(x) from the closed form (scipy.special.erf), not from our own code.
        Tensor x = Tensor.of(be, new float[] {-3f, -1f, 0f, 0.5f, 1f, 2f}, 6);
        float[] expected = {-0.0040496890f, -0.15865525f, 0f, 0.34573123f, 0.84134475f, 1.9544997f};
        assertClose("gelu", expected, x.gelu().toArray(), 1e-7, 1e-6);
    }

    @Test
    void shapeMismatchNamesOpAndShapes() {
        Tensor a = Tensor.zeros(be, 2, 3), b = Tensor.zeros(be, 4);
        ShapeException e = assertThrows(ShapeException.class, () -> a.add(b));
        assertTrue(e.getMessage().contains("add") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"),
                e.getMessage());
    }
}
