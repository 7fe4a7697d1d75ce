package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.Buffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which kernels a layer-norm backward launches, counted on the recording driver (no GPU): with dx and dw/db and
 * at most 1024 columns, the fused pass and the chunk sums (two launches where there were three); wider rows, or
 * no dx, keep the separate kernels. The arithmetic of the fused kernel is checked in the emulator
 * (kernels/emulate-kernels.sh, "layernorm … fused") and on a GPU by LayerNormCudaParityTest, which goes
 * through this same dispatch.
 */
class LayerNormLaunchTest {

    static Map<String, Long> backwardLaunches(int rows, int cols, boolean withDx) {
        try (LaunchCensus census = LaunchCensus.start(CudaOptions.defaults())) {
            Backend be = census.backend();
            Buffer x = be.allocate(rows * cols), dout = be.allocate(rows * cols), dx = be.allocate(rows * cols);
            Buffer w = be.allocate(cols), dw = be.allocate(cols), db = be.allocate(cols);
            Buffer mean = be.allocate(rows), rstd = be.allocate(rows);
            LaunchCensus.Counts before = census.counts();
            be.layerNormBackward(dout, x, w, mean, rstd, withDx ? dx : null, dw, db, rows, cols);
            return census.counts().minus(before).launches();
        }
    }

    @Test
    void vitWidthsTakeTheFusedPassAndTheChunkSums() {
        for (int cols : new int[] {192, 768, 1024}) {
            Map<String, Long> l = backwardLaunches(3200, cols, true);
            assertEquals(Map.of("layernorm_backward_fused", 1L, "layernorm_backward_dwdb_finish", 1L), l, "cols " + cols);
        }
    }

    @Test
    void widerRowsAndNoDxKeepTheSeparateKernels() {
        assertEquals(Map.of("layernorm_backward_dx_v2", 1L, "layernorm_backward_dwdb_partial", 1L,
                "layernorm_backward_dwdb_finish", 1L), backwardLaunches(64, 1280, true));
        assertEquals(Map.of("layernorm_backward_dwdb_partial", 1L, "layernorm_backward_dwdb_finish", 1L),
                backwardLaunches(64, 768, false));
    }

    @Test
    void chunksGiveEveryWarpARowAndTwoBlocksPerSm() {
        assertEquals(8, LayerNormCuda.fusedRowsPerChunk(10, 132));
        assertEquals(49, LayerNormCuda.fusedRowsPerChunk(12800, 132));   // MAE-B/16 encoder, batch 256: 262 blocks
    }
}
