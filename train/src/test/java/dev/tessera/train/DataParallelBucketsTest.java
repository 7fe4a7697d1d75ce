package dev.tessera.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.dist.Collectives;
import dev.tessera.engine.nn.Linear;
import dev.tessera.engine.nn.Module;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.random.Rng;
import dev.tessera.engine.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link DataParallel} in one process, over a recording world of two whose other rank holds the same gradients:
 * buckets start during backward (the first layer's gradient is still unwritten when the last layer's bucket
 * goes), every gradient is reduced exactly once, and sum ÷ world gives back the single-process gradient.
 */
class DataParallelBucketsTest {
    static final CpuBackend CPU = new CpuBackend(1);

    static final class Mlp extends Module {
        final Linear a, b, c;

        Mlp(Rng rng) {
            a = module("a", new Linear(CPU, 6, 8, true, rng));
            b = module("b", new Linear(CPU, 8, 8, true, rng));
            c = module("c", new Linear(CPU, 8, 2, true, rng));
        }

        Tensor loss(Tensor x) {
            return c.forward(b.forward(a.forward(x).relu()).relu()).square().mean();
        }
    }

    /** Sums as if a second rank had the same values (doubles them) and notes when each call came. */
    static final class Doubling implements Collectives {
        final ParameterStore store;
        final List<int[]> calls = new ArrayList<>();
        final List<Boolean> firstLayerDone = new ArrayList<>();

        Doubling(ParameterStore store) {
            this.store = store;
        }

        @Override public int rank() { return 0; }
        @Override public int worldSize() { return 2; }

        @Override
        public Pending allReduceSum(Buffer values) {
            float[] firstWeight = CPU.download(store.grads().slice(0, 48));       // a.weight: the last gradient backward makes
            boolean done = false;
            for (float v : firstWeight) done |= v != 0;
            firstLayerDone.add(done);
            float[] v = CPU.download(values);
            for (int i = 0; i < v.length; i++) v[i] *= 2;
            CPU.upload(v, values);
            calls.add(new int[] {values.length()});
            return () -> {};
        }

        @Override public void broadcast(Buffer values, int root) {}
        @Override public double[] allReduceSum(double[] values) { return values.clone(); }
        @Override public void barrier() {}
        @Override public void close() {}
    }

    @Test
    void bucketsStartDuringBackwardAndAverageToTheSingleProcessGradient() {
        Tensor x = Tensor.of(CPU, new Rng(2).normal(5 * 6, 0f, 1f), 5, 6);
        Mlp single = new Mlp(new Rng(1));
        ParameterStore s1 = new ParameterStore(CPU, single);
        single.loss(x).backward();
        float[] want = CPU.download(s1.grads());

        Mlp model = new Mlp(new Rng(1));
        ParameterStore store = new ParameterStore(CPU, model);
        Doubling world = new Doubling(store);
        DataParallel dp = new DataParallel(world, store, 20);           // small buckets: several per model
        assertTrue(dp.bucketCount() >= 3, "buckets: " + dp.bucketCount());
        model.loss(x).mul(0.5f).backward(dp.beginLastBackward());      // the trainer scales by 1/world
        int duringBackward = world.calls.size();
        dp.finish();
        assertArrayEquals(want, CPU.download(store.grads()), 1e-6f);
        assertEquals(store.size(), world.calls.stream().mapToInt(c -> c[0]).sum(), "every gradient reduced once");
        assertEquals(dp.bucketCount(), world.calls.size());
        assertTrue(duringBackward >= 2, "buckets started during backward: " + duringBackward);
        assertEquals(Boolean.FALSE, world.firstLayerDone.get(0), "the first bucket went before backward reached the first layer");
    }
}
