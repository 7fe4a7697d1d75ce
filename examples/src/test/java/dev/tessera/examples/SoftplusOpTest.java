package dev.tessera.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.engine.testing.Backends;
import dev.tessera.engine.testing.GradCheck;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SoftplusOpTest {

    @Test
    void forwardIsLogOnePlusExp() {
        var be = Backends.cpu();
        float[] x = {-30f, -3f, -0.5f, 0f, 0.5f, 3f, 30f, 100f};
        float[] y = SoftplusOp.softplus(Tensor.of(be, x, 8)).toArray();
        for (int i = 0; i < x.length; i++) {
            double want = Math.log(1 + Math.exp(x[i]));                    // the definition, directly
            assertEquals(want, y[i], 1e-6 * Math.max(1, Math.abs(want)), "softplus(" + x[i] + ")");
        }
    }

    @Test
    void theExamplesOwnGradcheckPasses() {
        var text = new ByteArrayOutputStream();
        double err = SoftplusOp.run(new PrintStream(text, true, StandardCharsets.UTF_8));
        assertTrue(err < 1e-3, "worst relative error " + err);
        assertTrue(text.toString(StandardCharsets.UTF_8).contains("(pass)"));
        Tour.assertTranscript("SoftplusOp", text.toString(StandardCharsets.UTF_8));
    }

    @Test
    void passesTheEnginesGradcheckOnAStridedInput() {
        var be = Backends.cpu();
        Tensor x = GradCheck.random(be, 3, -3f, 3f, 4, 5);
        // a transposed (strided) input and a second use of x: gradients from both paths must add up
        GradCheck.check("softplus", in -> SoftplusOp.softplus(in[0].transpose(0, 1)).add(in[0].transpose(0, 1).mul(2f)), x);
    }

    @Test
    void gradientIsTheSigmoid() {
        var be = Backends.cpu();
        float[] xs = new Rng(5).uniform(6, -5f, 5f);
        Tensor x = Tensor.of(be, xs, 6).requiresGrad(true);
        SoftplusOp.softplus(x).sum().backward();
        float[] g = x.grad().toArray();
        for (int i = 0; i < xs.length; i++) assertEquals(1 / (1 + Math.exp(-xs[i])), g[i], 1e-6, "d softplus/dx at " + xs[i]);
    }
}
