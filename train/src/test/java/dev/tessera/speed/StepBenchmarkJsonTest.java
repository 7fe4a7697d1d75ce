package dev.tessera.speed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.engine.backend.MemoryStats;
import dev.tessera.mae.MaeConfig;
import dev.tessera.train.Json;
import org.junit.jupiter.api.Test;

/** The result file of {@code bench step} is strict JSON, also where the system has no process CPU clock. */
class StepBenchmarkJsonTest {

    @Test
    void aMissingCpuClockIsNullNotNaN() throws Exception {
        StepBenchmark.Result r = new StepBenchmark.Result("mae-tiny", "cpu(2 threads)",
                new StepBenchmark.Settings(8, 1, 3, "fp32", Double.NaN, 0),
                new double[] {10, 12, 11}, new double[] {Double.NaN, Double.NaN, Double.NaN},
                TrainingFlops.mae(MaeConfig.preset("mae-tiny")), new MemoryStats(0, 0, 0, 0));
        String text = Json.pretty(r.json());
        assertTrue(!text.contains("NaN"), text);
        // A parser that accepts only standard JSON (Jackson's default) reads it back.
        JsonNode j = new ObjectMapper().readTree(text);
        assertTrue(j.get("median_cpu_ms").isNull(), text);
        assertEquals(3, j.get("step_cpu_ms").size());
        assertTrue(j.get("step_cpu_ms").get(0).isNull(), text);
        assertEquals(11.0, j.get("median_ms").asDouble());
    }

    @Test
    void measuredCpuTimesStayNumbers() throws Exception {
        StepBenchmark.Result r = new StepBenchmark.Result("mae-tiny", "cpu(2 threads)",
                new StepBenchmark.Settings(8, 1, 3, "fp32", Double.NaN, 0),
                new double[] {10, 12, 11}, new double[] {19.5, 23, 21},
                TrainingFlops.mae(MaeConfig.preset("mae-tiny")), new MemoryStats(0, 0, 0, 0));
        JsonNode j = new ObjectMapper().readTree(Json.pretty(r.json()));
        assertEquals(21.0, j.get("median_cpu_ms").asDouble());
        assertEquals(23.0, j.get("step_cpu_ms").get(1).asDouble());
    }
}
