package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.dist.Collectives;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The NCCL binding's argument mapping, on the recording CUDA driver (no GPU, no libnccl): which addresses,
 * counts, types and stream each call gets. The library's own behaviour awaits a GPU (kernels/gpu-pass.sh nccl).
 */
class NcclCollectivesTest {
    /** Records every call as one line. */
    static final class RecordingNccl implements NcclCalls {
        final List<String> calls = new ArrayList<>();
        byte[] idSeen;

        @Override
        public byte[] uniqueId() {
            calls.add("uniqueId");
            byte[] id = new byte[UNIQUE_ID_BYTES];
            Arrays.fill(id, (byte) 7);
            return id;
        }

        @Override
        public long commInitRank(int nranks, byte[] uniqueId, int rank) {
            idSeen = uniqueId.clone();
            calls.add("commInitRank " + nranks + " " + rank);
            return 0xC0FFEE00L;
        }

        @Override
        public void allReduce(long send, long recv, long count, int dataType, int op, long comm, long stream) {
            calls.add(String.format("allReduce %x %x %d %d %d %x %x", send, recv, count, dataType, op, comm, stream));
        }

        @Override
        public void broadcast(long send, long recv, long count, int dataType, int root, long comm, long stream) {
            calls.add(String.format("broadcast %x %x %d %d %d %x %x", send, recv, count, dataType, root, comm, stream));
        }

        @Override
        public void abort(long comm) {
            calls.add("abort");
        }

        @Override
        public void destroy(long comm) {
            calls.add(String.format("destroy %x", comm));
        }

        @Override
        public String version() {
            return "recording";
        }
    }

    @Test
    void rankZeroMakesTheIdAndEveryRankJoinsWithTheSharedOne() {
        RecordingNccl nccl = new RecordingNccl();
        try (CudaBackend gpu = CudaBackendLifecycleTest.start(new RecordingDriver(1L << 30))) {
            byte[][] shared = new byte[1][];
            NcclCollectives.open(nccl, gpu, 0, 4, id -> {
                shared[0] = id.clone();
                return id;
            }, Collectives.single(), Duration.ofSeconds(5));
            assertEquals(List.of("uniqueId", "commInitRank 4 0"), nccl.calls);
            assertEquals(NcclCalls.UNIQUE_ID_BYTES, shared[0].length);

            RecordingNccl other = new RecordingNccl();
            byte[] fromRoot = shared[0];
            NcclCollectives.open(other, gpu, 3, 4, id -> fromRoot, Collectives.single(), Duration.ofSeconds(5));
            assertEquals(List.of("commInitRank 4 3"), other.calls);        // only rank 0 asks NCCL for an id
            assertArrayEquals(fromRoot, other.idSeen);
        }
    }

    @Test
    void allReduceIsInPlaceFloat32SumOnTheBackendsStreamAtTheSlicesAddress() {
        RecordingNccl nccl = new RecordingNccl();
        try (CudaBackend gpu = CudaBackendLifecycleTest.start(new RecordingDriver(1L << 30))) {
            NcclCollectives c = NcclCollectives.open(nccl, gpu, 1, 2, id -> id, Collectives.single(), Duration.ofSeconds(5));
            Buffer grads = gpu.allocate(1000);
            Buffer slice = grads.slice(100, 250);
            c.allReduceSum(slice).await();
            long base = NativeAddress.of(((CudaBuffer) grads).pointer());
            long stream = NativeAddress.of(gpu.context().stream());
            String expect = String.format("allReduce %x %x 250 7 0 c0ffee00 %x", base + 400, base + 400, stream);
            assertEquals(expect, nccl.calls.get(1));
            c.broadcast(slice, 0);
            assertEquals(String.format("broadcast %x %x 250 7 0 c0ffee00 %x", base + 400, base + 400, stream), nccl.calls.get(2));
            c.close();
            assertEquals("destroy c0ffee00", nccl.calls.get(3));
        }
    }

    @Test
    void aBufferOfAnotherBackendIsRefusedWithItsName() {
        try (CudaBackend gpu = CudaBackendLifecycleTest.start(new RecordingDriver(1L << 30))) {
            NcclCollectives c = NcclCollectives.open(new RecordingNccl(), gpu, 0, 1, id -> id, Collectives.single(), Duration.ofSeconds(5));
            Buffer host = new CpuBackend(1).allocate(4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.allReduceSum(host));
            assertTrue(e.getMessage().startsWith("NCCL all-reduce: buffer"), e.getMessage());
        }
    }
}
