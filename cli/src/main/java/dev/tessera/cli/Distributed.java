package dev.tessera.cli;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.dist.Collectives;
import dev.tessera.engine.dist.Mpi;
import dev.tessera.engine.dist.MpiCollectives;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.NcclCollectives;

/**
 * What {@code --distributed} opens: the MPI job this process was launched in, and the collectives for the
 * backend — NCCL for a CUDA device, MPI for the CPU (docs/distributed.md).
 */
final class Distributed {
    private Distributed() {}

    /** Joins the job; one line when the process was not started by mpirun or Open MPI is missing. */
    static Collectives join(Backend backend) {
        if (!Mpi.launchedByMpi()) {
            throw new IllegalArgumentException("--distributed: this process was not started by MPI; launch it as"
                    + " 'mpirun -np N ./tessera ... --distributed' (docs/distributed.md)");
        }
        Mpi mpi = Mpi.join();
        return backend instanceof CudaBackend cuda ? NcclCollectives.open(mpi, cuda) : new MpiCollectives(mpi, backend);
    }

    /**
     * The GPU this rank uses: {@code TESSERA_CUDA_DEVICE} when set, else the rank's index on its node
     * ({@code OMPI_COMM_WORLD_LOCAL_RANK}, so mpirun's N ranks on a node take GPUs 0 .. N−1), else 0.
     */
    static int cudaDevice() {
        for (String name : new String[] {"TESSERA_CUDA_DEVICE", "OMPI_COMM_WORLD_LOCAL_RANK"}) {
            String v = System.getenv(name);
            if (v == null || v.isBlank()) continue;
            try {
                int d = Integer.parseInt(v.trim());
                if (d >= 0) return d;
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(name + " must be a GPU index (0, 1, ...), got '" + v + "'");
        }
        return 0;
    }
}
