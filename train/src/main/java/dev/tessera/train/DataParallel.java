package dev.tessera.train;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.dist.Collectives;
import dev.tessera.engine.optim.ParameterStore;
import dev.tessera.engine.tensor.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The trainer's side of data-parallel training (PyTorch DDP's reducer, Li et al. 2020, "PyTorch Distributed",
 * §3.2): identical parameters on every rank at the start (a broadcast from rank 0), and after the last
 * micro-batch of each step the gradients summed over the ranks in buckets, each bucket started as soon as all
 * of its gradients are final so that communication overlaps the rest of backward.
 *
 * <p>Buckets are contiguous ranges of the flat gradient buffer ({@link ParameterStore#grads()}), filled from the
 * last parameter to the first — roughly the order in which backward finishes them — up to {@link #BUCKET_FLOATS}
 * each (DDP's 25 MB default). The tape reports each parameter once its gradient is final
 * ({@link Tensor#backward(Consumer)}); the report order is the same on every rank (same graph), so every rank starts
 * the same collectives in the same order, as MPI and NCCL require. Parameters the pass did not reach are reduced
 * by {@link #finish} (their gradient is zero). The loss is scaled by 1/(accum·world) before backward, so the sum
 * over ranks is the average gradient of the global batch.
 */
final class DataParallel {
    /** 25 MiB of float32 per bucket, DDP's {@code bucket_cap_mb} default. */
    static final int BUCKET_FLOATS = 25 * 1024 * 1024 / Float.BYTES;

    private final Collectives comm;
    private final ParameterStore store;
    private final int[][] buckets;                     // {offset, length, parameters}
    private final Map<Tensor, Integer> bucketOf = new IdentityHashMap<>();
    private final int[] waiting;
    private final List<Collectives.Pending> started = new ArrayList<>();
    private final boolean[] launched;
    private long firstLaunch, spanNanos, exposedNanos;
    private int steps;

    DataParallel(Collectives comm, ParameterStore store, int bucketFloats) {
        this.comm = comm;
        this.store = store;
        List<int[]> list = new ArrayList<>();
        List<ParameterStore.Entry> entries = store.entries();
        int end = store.size(), count = 0, start = end;
        for (int i = entries.size() - 1; i >= 0; i--) {
            ParameterStore.Entry e = entries.get(i);
            start = e.offset();
            count++;
            bucketOf.put(e.parameter().tensor(), list.size());
            if (end - start >= bucketFloats || i == 0) {
                list.add(new int[] {start, end - start, count});
                end = start;
                count = 0;
            }
        }
        buckets = list.toArray(new int[0][]);
        waiting = new int[buckets.length];
        launched = new boolean[buckets.length];
    }

    int rank() {
        return comm.rank();
    }

    int worldSize() {
        return comm.worldSize();
    }

    boolean isRoot() {
        return comm.rank() == 0;
    }

    int bucketCount() {
        return buckets.length;
    }

    /** Every rank takes rank 0's parameters (after init, or after loading the checkpoint). */
    void broadcastParameters() {
        comm.broadcast(store.values(), 0);
    }

    /** The listener for the step's last backward: it starts each bucket once its gradients are final. */
    Consumer<Tensor> beginLastBackward() {
        started.clear();
        for (int b = 0; b < buckets.length; b++) {
            waiting[b] = buckets[b][2];
            launched[b] = false;
        }
        return this::gradientFinal;
    }

    private void gradientFinal(Tensor leaf) {
        Integer b = bucketOf.get(leaf);
        if (b != null && --waiting[b] == 0) launch(b);
    }

    private void launch(int b) {
        if (started.isEmpty()) firstLaunch = System.nanoTime();
        launched[b] = true;
        Buffer slice = store.grads().slice(buckets[b][0], buckets[b][1]);
        started.add(comm.allReduceSum(slice));
    }

    /** Starts the buckets backward did not complete (in bucket order, the same on every rank) and waits for all. */
    void finish() {
        long t0 = System.nanoTime();
        for (int b = 0; b < buckets.length; b++) if (!launched[b]) launch(b);
        for (Collectives.Pending p : started) p.await();
        started.clear();
        long end = System.nanoTime();
        exposedNanos += end - t0;
        spanNanos += end - firstLaunch;
        steps++;
    }

    /**
     * Per step: from the first bucket's start to the last one's end, and how much of that the trainer waited after
     * backward (the communication backward did not hide). The lead's 2 × 1 vs 1 × 2 measurement reads this line.
     */
    String summary() {
        if (steps == 0) return "data parallel: no step";
        double span = spanNanos / 1e6 / steps, exposed = exposedNanos / 1e6 / steps;
        return String.format(java.util.Locale.ROOT, "data parallel: %d ranks, %d buckets; gradient all-reduce %.1f ms per step from the"
                + " first bucket to the last, %.1f ms of it after backward (%.0f%% overlapped)", comm.worldSize(), buckets.length, span,
                exposed, span > 0 ? 100 * (1 - exposed / span) : 0);
    }

    /** Element-wise means over the ranks of small host values (the step's loss and its parts). */
    double[] mean(double[] values) {
        double[] sum = comm.allReduceSum(values);
        for (int i = 0; i < sum.length; i++) sum[i] /= comm.worldSize();
        return sum;
    }
}
