package dev.tessera.engine.dist;

import dev.tessera.engine.backend.Buffer;

/**
 * The few collective operations data-parallel training needs (Horovod's and PyTorch DDP's vocabulary): every
 * process of the job has a rank in [0, worldSize), and all of them call the same operations in the same order.
 * Buffers belong to the backend the implementation was opened for: host memory for {@link MpiCollectives},
 * device memory for NCCL (the kernels module). Host arrays ({@link #allReduceSum(double[])}) always go over MPI.
 *
 * <p>An implementation bounds every wait ({@link Mpi#timeout()}): when a rank dies or hangs, the others do
 * not wait forever but end the job with one line naming the operation (a collective timeout).
 */
public interface Collectives extends AutoCloseable {
    /** This process's place in the job, 0 .. worldSize − 1; rank 0 writes the run's files. */
    int rank();

    int worldSize();

    /**
     * Starts summing {@code values} element-wise over all ranks, in place; the sum is there once
     * {@link Pending#await} returns. Calls must be started in the same order on every rank.
     */
    Pending allReduceSum(Buffer values);

    /** Copies rank {@code root}'s {@code values} into every other rank's, in place; returns when done. */
    void broadcast(Buffer values, int root);

    /** Element-wise sums of small host arrays (losses, counters): every rank gets the result. */
    double[] allReduceSum(double[] values);

    /** Returns once every rank has called it. */
    void barrier();

    /** Leaves the job (the last call on a rank; MPI_Finalize). */
    @Override
    void close();

    /** A started collective. */
    interface Pending {
        /** Blocks until the operation is complete on this rank (at most the collective timeout). */
        void await();
    }

    /** The job of one process: every collective is the identity. The default without --distributed. */
    static Collectives single() {
        return SingleProcess.INSTANCE;
    }
}
