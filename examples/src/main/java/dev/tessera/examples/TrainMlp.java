package dev.tessera.examples;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.ops.Loss;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.GradMode;
import dev.tessera.engine.tensor.Tensor;
import java.io.PrintStream;

/**
 * The engine on its own: a three-layer perceptron learns the "two moons" (two interleaved half circles, 2-D
 * points, two classes) with AdamW and cross-entropy. Everything a ViT step does is here in miniature:
 * a {@link Module} tree, a flat {@link ParameterStore}, a forward recorded on the tape, {@code backward()},
 * an optimizer step, and a {@link StepScope} per step so that activations are freed.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp examples/target/tessera-examples.jar dev.tessera.examples.TrainMlp
 * </pre>
 */
public final class TrainMlp {
    private TrainMlp() {}

    /** 2 → 32 → 32 → 2 with tanh; parameter names fc1.weight, fc1.bias, … as a PyTorch state_dict would have them. */
    static final class Mlp extends Module {
        private final Linear fc1, fc2, fc3;

        Mlp(Backend be, Rng rng) {
            fc1 = module("fc1", new Linear(be, 2, 32, true, rng));
            fc2 = module("fc2", new Linear(be, 32, 32, true, rng));
            fc3 = module("fc3", new Linear(be, 32, 2, true, rng));
        }

        Tensor forward(Tensor x) {                                      // x [N, 2] → logits [N, 2]
            return fc3.forward(fc2.forward(fc1.forward(x).tanh()).tanh());
        }
    }

    /** The result of {@link #train}: the loss of every step and the final training accuracy. */
    public record Result(float[] losses, double accuracy) {}

    /** Trains for {@code steps} full-batch AdamW steps on 256 seeded points and prints every 50th loss. */
    public static Result train(int steps, PrintStream out) {
        Backend be = new CpuBackend(2);
        Rng rng = new Rng(0);
        int n = 256;
        float[] points = new float[2 * n];
        int[] labels = new int[n];
        TwoMoons.fill(points, labels, 0.1f, rng);
        Mlp mlp = new Mlp(be, rng);
        ParameterStore store = new ParameterStore(be, mlp);            // parameters and gradients, outside any scope
        AdamW opt = new AdamW(store, AdamW.Config.pretrain(0f).withBetas(0.9f, 0.999f));
        Tensor x = Tensor.of(be, points, n, 2), y = Tensor.ofInts(be, labels, n);
        float[] losses = new float[steps];
        for (int s = 0; s < steps; s++) {
            try (StepScope scope = be.openScope()) {                    // frees this step's activations
                Tensor loss = Loss.crossEntropy(mlp.forward(x), y, 0f);
                loss.backward();                                        // gradients land in the flat store
                losses[s] = loss.item();
            }
            opt.step(0.01f);
            store.zeroGrad();
            if (s % 50 == 0 || s == steps - 1) out.printf("step %3d  loss %.4f%n", s, losses[s]);
        }
        double accuracy;
        try (var noGrad = GradMode.noGrad()) {
            accuracy = accuracy(mlp.forward(x).toArray(), labels);
        }
        out.printf("training accuracy %.1f%%%n", 100 * accuracy);
        return new Result(losses, accuracy);
    }

    private static double accuracy(float[] logits, int[] labels) {
        int right = 0;
        for (int i = 0; i < labels.length; i++) right += (logits[2 * i + 1] > logits[2 * i] ? 1 : 0) == labels[i] ? 1 : 0;
        return right / (double) labels.length;
    }

    public static void main(String[] args) {
        train(300, System.out);
    }
}
