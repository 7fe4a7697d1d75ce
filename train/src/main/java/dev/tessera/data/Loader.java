package dev.tessera.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * Iterates one epoch of a {@link Dataset} in mini-batches, decoding ahead on {@code workers} threads so that
 * loading overlaps the training step.
 *
 * <p>Determinism: the order of an epoch is a permutation drawn from (seed, epoch) alone, and batch b's
 * augmentation draws from its own generator seeded from (seed, epoch, b). A worker builds a whole batch, and the
 * consumer receives batches in index order, so the batches are the same whatever the number of workers, and
 * {@code new Loader(ds, options, epoch, k)} yields exactly the batches k, k+1, … of an uninterrupted epoch: a
 * resumed run sees the data it would have seen.
 *
 * <p>At most {@code 2·workers} batches are decoded ahead (a bounded buffer), so memory stays fixed when the
 * consumer is slower. A {@link DataException} from the dataset (a corrupt file) reaches the consumer from
 * {@link Iterator#next} for the batch that contains it; with {@code skipBad} the sample is left out instead, its
 * batch is one shorter, and {@link #skipped()} counts it. Close the loader (try-with-resources) to stop the
 * workers early.
 *
 * <pre>{@code
 * try (Loader loader = new Loader(dataset, Loader.Options.of(256).withSeed(42), epoch)) {
 *     for (Batch b : loader) step(b);
 * }
 * }</pre>
 */
public final class Loader implements Iterable<Batch>, AutoCloseable {

    /**
     * @param batchSize samples per batch
     * @param shuffle   permute the dataset each epoch (else dataset order)
     * @param seed      the run's seed; with the epoch it fixes order and augmentation
     * @param workers   decoding threads; 0 decodes on the consumer's thread
     * @param dropLast  leave out the last batch when it would be short
     * @param skipBad   skip and count samples whose file is corrupt instead of failing
     */
    public record Options(int batchSize, boolean shuffle, long seed, int workers, boolean dropLast, boolean skipBad) {
        public Options {
            if (batchSize <= 0) throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
            if (workers < 0) throw new IllegalArgumentException("workers must be >= 0, got " + workers);
        }

        /** Shuffled, seed 0, one worker per core up to 8, keep the short last batch, fail on bad files. */
        public static Options of(int batchSize) {
            return new Options(batchSize, true, 0, Math.min(8, Runtime.getRuntime().availableProcessors()), false, false);
        }

        public Options withShuffle(boolean v) {
            return new Options(batchSize, v, seed, workers, dropLast, skipBad);
        }

        public Options withSeed(long v) {
            return new Options(batchSize, shuffle, v, workers, dropLast, skipBad);
        }

        public Options withWorkers(int v) {
            return new Options(batchSize, shuffle, seed, v, dropLast, skipBad);
        }

        public Options withDropLast(boolean v) {
            return new Options(batchSize, shuffle, seed, workers, v, skipBad);
        }

        public Options withSkipBad(boolean v) {
            return new Options(batchSize, shuffle, seed, workers, dropLast, v);
        }
    }

    private static final int MAX_SKIPPED_NAMES = 1000;

    private final Dataset dataset;
    private final Options options;
    private final int epoch;
    private final int startBatch;
    private final int batchCount;
    private final int rank;
    private final int world;
    private final int[] order;
    private final AtomicInteger skipped = new AtomicInteger();
    private final List<String> skippedFiles = Collections.synchronizedList(new ArrayList<>());

    // Prefetch state, created by iterator().
    private final ConcurrentHashMap<Integer, CompletableFuture<Batch>> slots = new ConcurrentHashMap<>();
    private final AtomicInteger nextToClaim = new AtomicInteger();
    private Semaphore ahead;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;
    private boolean iterated;

    /** Epoch {@code epoch} from its first batch. */
    public Loader(Dataset dataset, Options options, int epoch) {
        this(dataset, options, epoch, 0);
    }

    /** Epoch {@code epoch} from batch {@code startBatch} on: the same batches an uninterrupted epoch yields there. */
    public Loader(Dataset dataset, Options options, int epoch, int startBatch) {
        this(dataset, options, epoch, startBatch, 0, 1);
    }

    /**
     * Rank {@code rank}'s shard of epoch {@code epoch} in a data-parallel job of {@code world} processes
     * ({@link DistributedSampler}), from its batch {@code startBatch} on. Batch b's augmentation draws from the
     * stream of global batch b·world + rank, so a world of one is the plain loader.
     */
    public Loader(Dataset dataset, Options options, int epoch, int startBatch, int rank, int world) {
        this.dataset = dataset;
        this.options = options;
        this.epoch = epoch;
        this.rank = rank;
        this.world = world;
        if (dataset.size() <= 0) throw new IllegalArgumentException("dataset is empty");
        this.order = DistributedSampler.shard(permutation(dataset.size(), options.shuffle(), options.seed(), epoch), rank, world);
        this.batchCount = batchCount(order.length, options.batchSize(), options.dropLast());
        if (startBatch < 0 || startBatch > batchCount) {
            throw new IllegalArgumentException("startBatch " + startBatch + " is outside 0.." + batchCount
                    + " (epoch has " + batchCount + " batches)");
        }
        this.startBatch = startBatch;
    }

    /** Batches in one epoch of n samples. */
    public static int batchCount(int n, int batchSize, boolean dropLast) {
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    public int batchCount() {
        return batchCount;
    }

    public int epoch() {
        return epoch;
    }

    /** Samples skipped as unreadable so far (only with skipBad). */
    public int skipped() {
        return skipped.get();
    }

    /** The files skipped so far, as their error messages (at most the first 1000). */
    public List<String> skippedFiles() {
        synchronized (skippedFiles) {
            return List.copyOf(skippedFiles);
        }
    }

    /** Dataset order of an epoch: identity, or a Fisher–Yates shuffle driven only by (seed, epoch). */
    static int[] permutation(int n, boolean shuffle, long seed, int epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        if (!shuffle) return p;
        SplittableRandom rng = new SplittableRandom(streamSeed(seed, epoch, -1));
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** The generator batch {@code batch} of {@code epoch} draws its augmentation from. */
    static RandomGenerator batchRng(long seed, int epoch, int batch) {
        return new SplittableRandom(streamSeed(seed, epoch, batch));
    }

    // Distinct (seed, epoch, batch) triples must give unrelated streams: hash them with SplitMix64's finaliser
    // rather than adding them (seed 1 epoch 0 and seed 0 epoch 1 would otherwise collide).
    private static long streamSeed(long seed, long epoch, long batch) {
        long h = mix64(seed + 0x9E3779B97F4A7C15L);
        h = mix64(h ^ (epoch * 0xBF58476D1CE4E5B9L + 0x632BE59BD9B4E019L));
        return mix64(h ^ (batch * 0x94D049BB133111EBL + 0x2545F4914F6CDD1DL));
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Builds batch b: its samples are order[b·B .. min((b+1)·B, N)). */
    private Batch build(int b) {
        int bs = options.batchSize();
        int from = b * bs, to = Math.min(from + bs, order.length);
        int c = dataset.channels(), h = dataset.height(), w = dataset.width(), size = c * h * w;
        float[] images = new float[(to - from) * size];
        int[] labels = new int[to - from], indices = new int[to - from];
        RandomGenerator rng = batchRng(options.seed(), epoch, b * world + rank);
        int n = 0;
        for (int k = from; k < to; k++) {
            int i = order[k];
            try {
                dataset.load(i, images, n * size, rng);
                labels[n] = dataset.label(i);
                indices[n] = i;
                n++;
            } catch (DataException e) {
                if (!options.skipBad()) throw e;
                skipped.incrementAndGet();
                synchronized (skippedFiles) {
                    if (skippedFiles.size() < MAX_SKIPPED_NAMES) skippedFiles.add(e.getMessage());
                }
            }
        }
        if (n < to - from) {
            images = Arrays.copyOf(images, n * size);
            labels = Arrays.copyOf(labels, n);
            indices = Arrays.copyOf(indices, n);
        }
        return new Batch(images, labels, n, c, h, w, indices);
    }

    /** Starts the workers; an epoch is iterated once. */
    @Override
    public synchronized Iterator<Batch> iterator() {
        if (iterated) throw new IllegalStateException("a Loader iterates its epoch once; create a new one for the next epoch");
        if (closed) throw new IllegalStateException("loader is closed");
        iterated = true;
        nextToClaim.set(startBatch);
        int workers = Math.min(options.workers(), batchCount - startBatch);
        if (workers > 0) {
            ahead = new Semaphore(2 * workers);
            for (int t = 0; t < workers; t++) {
                Thread thread = Thread.ofPlatform().daemon().name("tessera-loader-" + t).unstarted(this::work);
                threads.add(thread);
                thread.start();
            }
        }
        return new Iterator<>() {
            private int next = startBatch;

            @Override
            public boolean hasNext() {
                return next < batchCount;
            }

            @Override
            public Batch next() {
                if (!hasNext()) throw new NoSuchElementException("epoch " + epoch + " has " + batchCount + " batches");
                if (closed) throw new IllegalStateException("loader is closed");
                int b = next++;
                if (threads.isEmpty()) return build(b);
                CompletableFuture<Batch> f = slot(b);
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for batch " + b, e);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) throw r;
                    if (e.getCause() instanceof Error err) throw err;
                    throw new IllegalStateException("loading batch " + b + " failed", e.getCause());
                } finally {
                    slots.remove(b);
                    ahead.release();
                }
            }
        };
    }

    private CompletableFuture<Batch> slot(int b) {
        return slots.computeIfAbsent(b, k -> new CompletableFuture<>());
    }

    // Each worker claims the next unbuilt batch index, at most 2·workers ahead of the consumer. Claims are in
    // increasing order, so the batch the consumer waits for is always claimed or finished: no deadlock.
    private void work() {
        try {
            while (!closed) {
                ahead.acquire();
                int b = nextToClaim.getAndIncrement();
                if (b >= batchCount) {
                    ahead.release();
                    return;
                }
                CompletableFuture<Batch> f = slot(b);
                try {
                    f.complete(build(b));
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            }
        } catch (InterruptedException e) {
            // close() interrupts idle workers; nothing to clean up.
        }
    }

    /** Stops the workers and waits for them; batches not yet consumed are dropped. */
    @Override
    public void close() {
        closed = true;
        for (Thread t : threads) t.interrupt();
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
