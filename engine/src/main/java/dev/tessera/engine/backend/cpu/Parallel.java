package dev.tessera.engine.backend.cpu;

/**
 * The CPU backend's one thread pool and its two scheduling primitives: split [0, n) into at most
 * {@code threads} contiguous chunks, run chunk 0 on the calling thread and the rest on the pool's
 * {@link WorkerTeam}, wait.
 * Chunks are contiguous so each thread streams through its own part of memory. {@link #forRange} makes the
 * chunks equal; {@link #forWeighted} sizes them by how fast each thread ran the previous weighted loops. The
 * weighted loops are the ones whose units all cost the same and whose results do not depend on the chunks:
 * GEMM strips, attention heads, AdamW elements and GELU blocks, most of a training step's time.
 */
public final class Parallel implements AutoCloseable {

    /** Body of a parallel loop over a half-open index range. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private final WorkerTeam team;
    private final int threads;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.team = threads > 1 ? new WorkerTeam(threads - 1) : null;
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over [0, n); ranges shorter than {@code minChunk} are not split further, so tiny
     * loops stay on the calling thread (handing out work costs microseconds). A loop started inside another
     * (or while another thread's loop runs) runs on the calling thread alone.
     */
    public void forRange(int n, int minChunk, RangeBody body) {
        int chunks = (int) Math.min(threads, Math.max(1L, n / Math.max(1, minChunk)));
        if (chunks <= 1 || !team.run(chunks, c -> body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks)))) {
            if (n > 0) body.run(0, n);
        }
    }

    /**
     * Each thread's share of the next {@link #forWeighted} loop, learned from the last ones (shares[0]: the
     * calling thread; shares[t]: worker t − 1). Replaced whole, never written in place, so a reader sees
     * a consistent set.
     */
    private volatile double[] shares;

    /**
     * Like {@link #forRange} with one chunk per thread, but chunk t's length follows thread t's measured speed
     * in the previous weighted loops, so that the threads finish together when one runs slower than the other.
     * That is common on shared machines: on this project's 2-core development VMs one core often runs at
     * about two thirds of the other's speed for seconds at a time (measured: the two equal halves of a
     * 792×3072×768 SGEMM took 10.4 and 17 ms, each thread's CPU time equal to its wall time), and an equal
     * split then leaves the fast core idle for a third of every call. {@code body} must compute the same
     * result whatever the chunk boundaries are (a GEMM cut at tile boundaries does: each element is one
     * thread's arithmetic either way); only the speed changes.
     *
     * <p>Learning: after each loop, thread t's speed is units/nanoseconds over its chunk, and the shares move
     * half way towards the speeds' proportions (chunks under {@link #MIN_TIMED_NANOS} are too short to time
     * and teach nothing). Chunk t always runs on the same thread (the caller, or the team's worker t − 1), so
     * the estimate follows each thread as the OS placed it.
     */
    public void forWeighted(int units, RangeBody body) {
        int chunks = Math.min(threads, units);
        if (chunks <= 1) {
            if (units > 0) body.run(0, units);
            return;
        }
        // Shares sum to 1 (equal when fewer chunks than threads: nothing was learned for that split).
        double[] w = chunks == threads ? shares() : null;
        int[] cut = new int[chunks + 1];
        double sum = 0;
        for (int c = 1; c < chunks; c++) {
            sum += w == null ? 1.0 / chunks : w[c - 1];
            // At least one unit per chunk, in order.
            cut[c] = (int) Math.max(cut[c - 1] + 1, Math.min(units - (chunks - c), Math.round(units * sum)));
        }
        cut[chunks] = units;
        long[] nanos = new long[chunks];
        if (team.run(chunks, c -> nanos[c] = timed(body, cut[c], cut[c + 1]))) learn(cut, nanos);
        else body.run(0, units);
    }

    /**
     * {@link #forWeighted} for loops that may be too short to split across every thread: with fewer than
     * {@code minChunk} units per thread it is {@link #forRange} (fewer, equal chunks; nothing learned).
     */
    public void forWeighted(int units, int minChunk, RangeBody body) {
        if ((long) units < (long) threads * Math.max(1, minChunk)) forRange(units, minChunk, body);
        else forWeighted(units, body);
    }

    /** Chunks shorter than this (50 µs) are not timed reliably enough to learn from. */
    static final long MIN_TIMED_NANOS = 50_000;

    /** Each chunk's share never falls below this fraction of an equal share: a thread that stalled once recovers. */
    private static final double MIN_SHARE = 0.25;

    private static long timed(RangeBody body, int from, int to) {
        long t0 = System.nanoTime();
        body.run(from, to);
        return System.nanoTime() - t0;
    }

    private void learn(int[] cut, long[] nanos) {
        int chunks = nanos.length;
        if (chunks != threads) return;
        double[] speed = new double[chunks];
        double total = 0;
        for (int c = 0; c < chunks; c++) {
            if (nanos[c] < MIN_TIMED_NANOS) return;
            speed[c] = (cut[c + 1] - cut[c]) / (double) nanos[c];
            total += speed[c];
        }
        double[] old = shares, next = new double[chunks];
        double norm = 0;
        for (int c = 0; c < chunks; c++) {
            double was = old == null || old.length != chunks ? 1.0 / chunks : old[c];
            next[c] = Math.max(MIN_SHARE / chunks, 0.5 * was + 0.5 * speed[c] / total);
            norm += next[c];
        }
        for (int c = 0; c < chunks; c++) next[c] /= norm;
        shares = next;
    }

    /** The current shares of a {@code threads}-chunk weighted loop (equal until a loop has been timed); for tests and logs. */
    public double[] shares() {
        double[] w = shares;
        if (w == null || w.length != threads) {
            double[] eq = new double[threads];
            java.util.Arrays.fill(eq, 1.0 / threads);
            return eq;
        }
        return w.clone();
    }

    /** Whether this pool's worker threads are still running; for tests. */
    boolean workersAlive() {
        return team != null && team.anyAlive();
    }

    @Override
    public void close() {
        if (team != null) team.close();
    }
}
