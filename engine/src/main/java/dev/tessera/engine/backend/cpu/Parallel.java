package dev.tessera.engine.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The CPU backend's one thread pool and its only scheduling primitive: split [0, n) into at most
 * {@code threads} contiguous chunks, run chunk 0 on the calling thread and the rest on the pool, wait.
 * Chunks are contiguous so each thread streams through its own part of memory.
 */
public final class Parallel implements AutoCloseable {

    /** Body of a parallel loop over a half-open index range. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private final ForkJoinPool pool;
    private final int threads;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads - 1) : null;
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over [0, n); ranges shorter than {@code minChunk} are not split further, so tiny
     * loops stay on the calling thread (a fork costs microseconds).
     */
    public void forRange(int n, int minChunk, RangeBody body) {
        int chunks = (int) Math.min(threads, Math.max(1L, n / Math.max(1, minChunk)));
        if (chunks <= 1 || pool == null || ForkJoinTask.inForkJoinPool()) {
            if (n > 0) body.run(0, n);
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
            tasks[c - 1] = pool.submit(() -> body.run(from, to));
        }
        body.run(0, (int) ((long) n / chunks));
        for (ForkJoinTask<?> t : tasks) t.join();
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
