package dev.tessera.bench.model;

import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.optim.AdamW;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import dev.tessera.mae.MaeConfig;
import dev.tessera.mae.MaskedAutoencoder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One MAE pretraining step on the CPU, the "MAE tiny" row of docs/baselines.md: preset {@code mae-tiny} (28×28×1,
 * patch 4 → 49 patches, encoder 192/12/3, decoder 128/2/4, 75% masking → 13 encoder tokens with cls, 50 decoder
 * tokens, norm-pix loss), batch 256, forward + backward + AdamW, in a step scope as the trainer runs it. Each
 * invocation is one step (single-shot: a step takes about a second); the first steps are warm-up (JIT, pool).
 * Its PyTorch twin is {@code compare/pytorch_mae_tiny_step.py}; {@link StepProfile} splits a step by op.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 4)
@Measurement(iterations = 12)
public class MaeStepBench {

    @Param("256")
    public int batch;

    @Param("2")
    public int threads;

    private CpuBackend be;
    private MaskedAutoencoder mae;
    private ParameterStore store;
    private AdamW opt;
    private Tensor images;

    @Setup(Level.Trial)
    public void setUp() {
        be = new CpuBackend(threads);
        mae = new MaskedAutoencoder(MaeConfig.preset("mae-tiny"), be, new Rng(0));
        store = new ParameterStore(be, mae);
        opt = new AdamW(store, AdamW.Config.pretrain(0.05f));
        images = Tensor.of(be, new Rng(1).uniform(batch * 28 * 28, -1f, 1f), batch, 1, 28, 28);
        System.out.println("# backend: " + be.name() + ", mae-tiny, batch " + batch);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }

    /** zero grads, forward (fresh masks each step), backward, AdamW; returns the loss. */
    @Benchmark
    @SuppressWarnings("try") // the scope is only closed
    public float step() {
        store.zeroGrad();
        float loss;
        try (StepScope s = be.openScope()) {
            Tensor l = mae.forward(images).loss();
            loss = l.item();
            l.backward();
        }
        opt.step(1e-4f);
        be.synchronize();
        return loss;
    }
}
