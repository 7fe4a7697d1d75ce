package dev.tessera.engine.dist;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.Future;

/**
 * {@link Collectives} over MPI for a backend whose buffers are host memory (the CPU backend): a buffer is
 * copied into native memory, reduced by Open MPI, and copied back, all on the MPI thread, so an all-reduce
 * started during backward overlaps the rest of backward (Horovod's CPU path does the same).
 */
public final class MpiCollectives implements Collectives {
    private final Mpi mpi;
    private final Backend backend;

    public MpiCollectives(Mpi mpi, Backend backend) {
        this.mpi = mpi;
        this.backend = backend;
    }

    @Override
    public int rank() {
        return mpi.rank();
    }

    @Override
    public int worldSize() {
        return mpi.worldSize();
    }

    @Override
    public Pending allReduceSum(Buffer values) {
        Future<?> f = mpi.allReduceFloats(values.length(),
                seg -> MemorySegment.copy(backend.download(values), 0, seg, JAVA_FLOAT, 0, values.length()),
                seg -> backend.upload(seg.toArray(JAVA_FLOAT), values));
        return () -> Mpi.await(f, "all-reduce");
    }

    @Override
    public void broadcast(Buffer values, int root) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length() * Float.BYTES).order(ByteOrder.nativeOrder());
        bytes.asFloatBuffer().put(backend.download(values));
        float[] got = new float[values.length()];
        ByteBuffer.wrap(mpi.broadcast(bytes.array(), root)).order(ByteOrder.nativeOrder()).asFloatBuffer().get(got);
        backend.upload(got, values);
    }

    @Override
    public double[] allReduceSum(double[] values) {
        return mpi.allReduce(values);
    }

    @Override
    public void barrier() {
        mpi.barrier();
    }

    @Override
    public void close() {
        mpi.close();
    }
}
