package dev.tessera.engine.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's worker threads: a fixed team that runs the chunks of one parallel loop at a time, chunk 0 on
 * the calling thread and chunk c on worker c − 1 (always the same thread, so {@link Parallel#forWeighted} learns
 * each thread's speed).
 *
 * <p>Why not a {@code ForkJoinPool}: its idle workers park at once, and on a virtual machine waking a parked
 * thread on an idle core took 70–150 µs, at times over a millisecond (measured 2026-12-07: the time from the
 * caller's fork to the pool thread's first instruction). A training step runs about a thousand parallel loops,
 * many of them shorter than that. So an idle worker here, and a caller waiting for its workers, first spins for
 * {@link #SPIN_NANOS} ({@link Thread#onSpinWait}), the interval between one kernel and the next, and only then
 * parks, as OpenMP runtimes do (GOMP_SPINCOUNT). Spinning shows as CPU time, as PyTorch's OpenMP threads' does.
 *
 * <p>One loop at a time: a loop started while another runs (a chunk that starts a loop, or a second thread using
 * the same backend) is refused ({@link #run} returns false) and the caller runs it alone.
 */
final class WorkerTeam implements AutoCloseable {

    /** One chunk of a loop; the body of chunk c. */
    @FunctionalInterface
    interface Chunks {
        void run(int chunk);
    }

    /** How long an idle thread spins before it parks: 200 µs, longer than most gaps between two kernels. */
    static final long SPIN_NANOS = 200_000;

    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Job job;
    private volatile boolean closed;

    /** One parallel loop: its chunks, how many workers have yet to finish theirs, and the first failure. */
    private static final class Job {
        final Chunks body;
        final int chunks;
        final Thread caller = Thread.currentThread();
        final AtomicInteger pending;
        volatile boolean callerParked;
        volatile Throwable failure;

        Job(Chunks body, int chunks) {
            this.body = body;
            this.chunks = chunks;
            this.pending = new AtomicInteger(chunks - 1);
        }
    }

    WorkerTeam(int workers) {
        this.workers = new Worker[workers];
        for (int w = 0; w < workers; w++) {
            this.workers[w] = new Worker(w);
            this.workers[w].start();
        }
    }

    int size() {
        return workers.length;
    }

    /**
     * Runs chunks 0 … chunks − 1 of {@code body} (chunks ≤ size() + 1), chunk 0 on this thread, and returns when all
     * are done, rethrowing the first failure (this thread's first). Returns false without running anything when
     * the team is busy with another loop or this is one of its workers: the caller then runs the loop itself.
     */
    boolean run(int chunks, Chunks body) {
        if (chunks > workers.length + 1) throw new IllegalArgumentException(chunks + " chunks for a team of " + (workers.length + 1));
        if (closed || Thread.currentThread() instanceof Worker || !busy.compareAndSet(false, true)) return false;
        try {
            Job j = new Job(body, chunks);
            job = j;
            for (int w = 0; w < chunks - 1; w++) {
                if (workers[w].parked) LockSupport.unpark(workers[w]);
            }
            Throwable mine = null;
            try {
                body.run(0);
            } catch (Throwable t) {
                mine = t;
            }
            long start = System.nanoTime();
            while (j.pending.get() > 0) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    j.callerParked = true;
                    if (j.pending.get() > 0) LockSupport.park(this);
                }
            }
            Throwable first = mine != null ? mine : j.failure;
            if (first instanceof RuntimeException e) throw e;
            if (first instanceof Error e) throw e;
            if (first != null) throw new IllegalStateException("a CPU worker failed: " + first, first);
            return true;
        } finally {
            busy.set(false);
        }
    }

    /** Whether any worker thread is still running (false soon after {@link #close}); for tests. */
    boolean anyAlive() {
        for (Worker w : workers) {
            if (w.isAlive()) return true;
        }
        return false;
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    /** Worker w runs chunk w + 1 of every job that has one. */
    private final class Worker extends Thread {
        final int index;
        volatile boolean parked;
        private Job done;

        Worker(int index) {
            super("tessera-cpu-" + (index + 1));
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            for (Job j; (j = next()) != null; ) {
                done = j;
                if (index + 1 >= j.chunks) continue;
                try {
                    j.body.run(index + 1);
                } catch (Throwable t) {
                    if (j.failure == null) j.failure = t;
                }
                if (j.pending.decrementAndGet() == 0 && j.callerParked) LockSupport.unpark(j.caller);
            }
        }

        /**
         * The next job not yet done, or null once the team is closed: spin, then park. The caller publishes the job
         * before it reads {@code parked}, and this thread sets {@code parked} before it looks again, so one of the
         * two always sees the other (volatile accesses are sequentially consistent) and no wake-up is lost.
         */
        private Job next() {
            long start = System.nanoTime();
            while (true) {
                Job j = job;
                if (closed) return null;
                if (j != null && j != done) return j;
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                j = job;
                if (!closed && (j == null || j == done)) LockSupport.park(this);
                parked = false;
                start = System.nanoTime();
            }
        }
    }
}
