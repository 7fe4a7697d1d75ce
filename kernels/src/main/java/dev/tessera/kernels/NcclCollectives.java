package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.dist.Collectives;
import dev.tessera.engine.dist.Mpi;
import dev.tessera.engine.dist.MpiCollectives;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * {@link Collectives} for a {@link CudaBackend}'s device buffers over NCCL, the pattern of PyTorch DDP's NCCL
 * backend and Horovod: rank 0 makes NCCL's unique id, MPI broadcasts it, every rank joins the communicator on its
 * backend's device, and each all-reduce is queued on the backend's stream — ordered after the backward kernels
 * that wrote the gradient, before the optimizer's. Small host arrays (the logged loss) go over MPI.
 *
 * <p>NCCL's operations are asynchronous; {@link Pending#await} waits for the stream, bounded by the collective
 * timeout ({@link Mpi#timeout()}): past it, the rank prints one line, aborts the communicator and exits, so
 * mpirun ends the job instead of every rank hanging on a dead peer.
 */
public final class NcclCollectives implements Collectives {
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tessera-nccl-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final NcclCalls nccl;
    private final CudaBackend backend;
    private final Collectives host;
    private final long comm;
    private final int rank, world;
    private final Duration timeout;
    private boolean closed;

    private NcclCollectives(NcclCalls nccl, CudaBackend backend, Collectives host, long comm, int rank, int world, Duration timeout) {
        this.nccl = nccl;
        this.backend = backend;
        this.host = host;
        this.comm = comm;
        this.rank = rank;
        this.world = world;
        this.timeout = timeout;
    }

    /** Joins the NCCL communicator of the MPI job {@code mpi} on {@code backend}'s device (libnccl.so.2 found at run time). */
    public static NcclCollectives open(Mpi mpi, CudaBackend backend) {
        return open(Nccl.system(), backend, mpi.rank(), mpi.worldSize(), id -> mpi.broadcast(id, 0), new MpiCollectives(mpi, backend),
                mpi.timeout());
    }

    /** {@code shareId} gives every rank rank 0's unique id (MPI's broadcast; the identity in a world of one). */
    static NcclCollectives open(NcclCalls nccl, CudaBackend backend, int rank, int world, UnaryOperator<byte[]> shareId,
                                Collectives host, Duration timeout) {
        byte[] id = rank == 0 ? nccl.uniqueId() : new byte[NcclCalls.UNIQUE_ID_BYTES];
        id = shareId.apply(id);
        if (id.length != NcclCalls.UNIQUE_ID_BYTES) {
            throw new IllegalStateException("NCCL unique id of " + id.length + " bytes, expected " + NcclCalls.UNIQUE_ID_BYTES);
        }
        backend.context().makeCurrent();                 // ncclCommInitRank joins on the calling thread's current device
        long comm = nccl.commInitRank(world, id, rank);
        return new NcclCollectives(nccl, backend, host, comm, rank, world, timeout);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return world;
    }

    /** Queues an in-place float32 sum of {@code values} on the backend's stream (send and receive are the same address). */
    @Override
    public Pending allReduceSum(Buffer values) {
        CudaBuffer b = CudaBuffer.cast(values, backend, false, "NCCL all-reduce");
        long p = NativeAddress.of(b.pointer());
        backend.context().makeCurrent();
        nccl.allReduce(p, p, b.length(), NcclCalls.FLOAT32, NcclCalls.SUM, comm, stream());
        return () -> bounded("NCCL all-reduce of " + b.length() + " floats");
    }

    @Override
    public void broadcast(Buffer values, int root) {
        CudaBuffer b = CudaBuffer.cast(values, backend, false, "NCCL broadcast");
        long p = NativeAddress.of(b.pointer());
        backend.context().makeCurrent();
        nccl.broadcast(p, p, b.length(), NcclCalls.FLOAT32, root, comm, stream());
        bounded("NCCL broadcast of " + b.length() + " floats");
    }

    private long stream() {
        return NativeAddress.of(backend.context().stream());
    }

    /** Waits for the stream; past the timeout one line, ncclCommAbort, and the process exits (mpirun ends the job). */
    private void bounded(String what) {
        ScheduledFuture<?> alarm = WATCHDOG.schedule(() -> {
            System.err.println(String.format(Locale.ROOT, "tessera: %s timed out after %.0f s on rank %d of %d: another rank died or"
                    + " hangs; aborting the job (raise %s if the ranks are only slow)", what, timeout.toMillis() / 1000.0, rank, world,
                    Mpi.TIMEOUT_ENV));
            System.err.flush();
            try {
                nccl.abort(comm);
            } finally {
                Runtime.getRuntime().halt(3);
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            backend.synchronize();
        } finally {
            alarm.cancel(false);
        }
    }

    @Override
    public double[] allReduceSum(double[] values) {
        return host.allReduceSum(values);
    }

    @Override
    public void barrier() {
        host.barrier();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        nccl.destroy(comm);
        host.close();
    }
}
