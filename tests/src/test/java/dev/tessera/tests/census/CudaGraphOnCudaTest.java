package dev.tessera.tests.census;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.engine.tensor.Tensor;
import dev.tessera.kernels.CudaBackend;
import dev.tessera.kernels.CudaProbe;
import dev.tessera.kernels.CudaStatus;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.ModelSpec;
import dev.tessera.train.Objective;
import dev.tessera.train.TrainResult;
import dev.tessera.train.TrainSettings;
import dev.tessera.train.Trainer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On a GPU: mae-tiny trained eight steps eagerly ({@code --no-cuda-graph}) and eight steps with the step replayed as
 * CUDA graphs, from the same seed, end with the same losses and the same parameters, bit for bit — the replays run
 * the same kernels in the same order on the same inputs (StepCensusTest proves the inputs on the recording driver;
 * this proves the replays compute). Skipped, with the probe's reason printed, where no CUDA device is usable.
 */
@Tag("gpu")
class CudaGraphOnCudaTest {
    static final int STEPS = 8, BATCH = 8;

    @Test
    void maeTinyWithCudaGraphsTrainsExactlyAsEagerly() {
        CudaStatus s = CudaProbe.probe();
        if (!s.available()) System.out.println("[gpu] skipped: no CUDA device: " + s.reason());
        assumeTrue(s.available(), () -> "skipped: no CUDA device: " + s.reason());
        try (CudaBackend gpu = new CudaBackend(0)) {
            StringWriter eagerLog = new StringWriter(), graphLog = new StringWriter();
            TrainResult eager = train(gpu, false, eagerLog);
            TrainResult graphs = train(gpu, true, graphLog);
            assertFalse(graphLog.toString().contains("CUDA graph off"), "the graph run fell back to eager:\n" + graphLog);
            assertEquals(STEPS, graphs.losses().size());
            assertEquals(eager.losses(), graphs.losses(), "losses per step");
            Map<String, Tensor> e = eager.model().stateDict(), g = graphs.model().stateDict();
            assertEquals(e.keySet(), g.keySet());
            for (String name : e.keySet()) assertArrayEquals(e.get(name).toArray(), g.get(name).toArray(), name + " after " + STEPS + " steps");
        }
    }

    private static TrainResult train(CudaBackend gpu, boolean cudaGraph, StringWriter log) {
        ModelSpec model = ModelSpec.of(MaeConfig.preset("mae-tiny"));
        Objective objective = model.build(gpu, 0);
        TrainSettings ts = TrainSettings.forMethod(model.method()).toBuilder().batchSize(BATCH).steps(STEPS).seed(5)
                .checkpointEvery(STEPS).logEvery(1).build();
        return new Trainer(objective, new StepCensusTest.Noise(STEPS * BATCH, objective.imageShape()), ts)
                .log(new PrintWriter(log, true), false).cudaGraph(cudaGraph).run();
    }
}
