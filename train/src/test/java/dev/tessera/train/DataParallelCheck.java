package dev.tessera.train;

import dev.tessera.cae.CaeConfig;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.engine.dist.Collectives;
import dev.tessera.engine.dist.Mpi;
import dev.tessera.engine.dist.MpiCollectives;
import dev.tessera.mae.MaeConfig;
import java.nio.file.Path;

/**
 * One rank of a data-parallel run, as a program that {@link DataParallelTest} starts under
 * {@code mpirun -np N}: mae-tiny or cae-tiny (drop-path off, see {@link #objective}) on {@link #data()}, per-rank
 * batch {@code batch}, {@code steps} steps, into (or resumed from) a run directory that rank 0 writes.
 * Arguments: method, run directory, batch, steps, stop-after (0: none), "new" or "resume".
 */
public final class DataParallelCheck {
    private DataParallelCheck() {}

    public static void main(String[] args) {
        String method = args[0];
        Path dir = Path.of(args[1]);
        int batch = Integer.parseInt(args[2]), steps = Integer.parseInt(args[3]), stopAfter = Integer.parseInt(args[4]);
        boolean resume = args[5].equals("resume");
        try (CpuBackend cpu = new CpuBackend(1); Collectives comm = new MpiCollectives(Mpi.join(), cpu)) {
            Trainer t = new Trainer(objective(method, cpu), data(), settings(method, batch, steps).stopAfter(stopAfter).build())
                    .log(null, false).distributed(comm);
            if (resume) t.resumeFrom(dir);
            else t.output(dir);
            TrainResult r = t.run();
            if (comm.rank() == 0) System.out.println("rank 0 of " + comm.worldSize() + ": " + r.steps() + " steps, loss " + r.finalLoss());
        }
    }

    /** 640 fixed random 1×28×28 images: 10 steps of 64 make one epoch. */
    static SyntheticImages data() {
        return new SyntheticImages(640, 1, 28, 28, 3);
    }

    static TrainSettings.Builder settings(String method, int batch, int steps) {
        // lr 1e-3 at the global batch of 64 (blr × 64 / 256): large enough that 10 steps move the parameters visibly
        return TrainSettings.forMethod(method).toBuilder().batchSize(batch).steps(steps).blr(4e-3).workers(1).logEvery(1)
                .checkpointEvery(1000).seed(11);
    }

    /**
     * The tiny presets with drop-path 0: drop-path draws from the model's generator, which advances alike on every
     * rank, so it drops the same residual branches for the i-th image of every rank — not what one process does
     * for the i-th image of the global batch. Masks are per image ({@link ImageStreams}) and equal.
     */
    static Objective objective(String method, CpuBackend cpu) {
        if (method.equals("mae")) {
            MaeConfig c = MaeConfig.preset("mae-tiny");
            return MaeObjective.create(c.withEncoder(c.encoder().withDropPath(0)), cpu, 5);
        }
        CaeConfig c = CaeConfig.preset("cae-tiny");
        return CaeObjective.create(c.withEncoder(c.encoder().withDropPath(0)), cpu, 5, null);
    }
}
