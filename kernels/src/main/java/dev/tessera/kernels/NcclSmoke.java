package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.dist.Collectives;
import dev.tessera.engine.dist.Mpi;
import java.time.Duration;
import java.util.Arrays;

/**
 * The NCCL binding's first contact with a GPU ({@code kernels/gpu-pass.sh nccl}, as {@code bin/nccl-smoke} of the
 * dist): joins a communicator — a world of one when started alone, the MPI job's when started by mpirun (rank r on
 * GPU {@code OMPI_COMM_WORLD_LOCAL_RANK}, or {@code TESSERA_CUDA_DEVICE}) — then all-reduces and broadcasts device buffers and checks
 * them against the host arithmetic. Prints one line and exits 0, or names the first wrong element and exits 1.
 */
public final class NcclSmoke {
    private NcclSmoke() {}

    public static void main(String[] args) {
        int device = Integer.parseInt(System.getenv().getOrDefault("TESSERA_CUDA_DEVICE",
                System.getenv().getOrDefault("OMPI_COMM_WORLD_LOCAL_RANK", "0")));
        try (CudaBackend gpu = new CudaBackend(device)) {
            Collectives comm;
            String version;
            if (Mpi.launchedByMpi()) {
                comm = NcclCollectives.open(Mpi.join(), gpu);
                version = Nccl.system().version();   // the same file NcclCollectives.open loaded
            } else {
                Nccl nccl = Nccl.system();
                version = nccl.version();
                comm = NcclCollectives.open(nccl, gpu, 0, 1, id -> id, Collectives.single(), Duration.ofSeconds(60));
            }
            try (comm) {
                int n = 1 << 20, rank = comm.rank(), world = comm.worldSize();
                float[] mine = new float[n];
                for (int i = 0; i < n; i++) mine[i] = (i % 1000) * 0.5f + rank;
                Buffer b = gpu.allocate(n);
                gpu.upload(mine, b);
                comm.allReduceSum(b.slice(7, n - 7)).await();          // an offset view, as the gradient buckets are
                float[] got = gpu.download(b);
                for (int i = 0; i < n; i++) {
                    float want = i < 7 ? mine[i] : (i % 1000) * 0.5f * world + world * (world - 1) / 2f;
                    if (got[i] != want) fail("all-reduce", i, got[i], want);
                }
                float[] root = new float[n];
                Arrays.fill(root, rank == 0 ? 3.25f : -1f);
                gpu.upload(root, b);
                comm.broadcast(b, 0);
                float[] bc = gpu.download(b);
                for (int i = 0; i < n; i++) if (bc[i] != 3.25f) fail("broadcast", i, bc[i], 3.25f);
                if (rank == 0) {
                    System.out.println("nccl smoke: " + version + "; world " + world + " on " + gpu.name() + ": all-reduce and"
                            + " broadcast of " + n + " floats correct");
                }
            }
        }
    }

    private static void fail(String op, int i, float got, float want) {
        System.out.println("nccl smoke: " + op + " element " + i + " is " + got + ", expected " + want);
        System.exit(1);
    }
}
