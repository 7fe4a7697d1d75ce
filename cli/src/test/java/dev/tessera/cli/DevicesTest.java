package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.tessera.engine.backend.Backend;
import dev.tessera.engine.backend.cpu.CpuBackend;
import dev.tessera.kernels.CudaProbe;
import dev.tessera.kernels.CudaUnavailableException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DevicesTest {

    @Test
    void cpuIsOpenedWithTheGivenThreadsAndReportedOnce() {
        List<String> lines = new ArrayList<>();
        try (Backend b = Devices.open("CPU", 3, lines::add)) {
            assertTrue(b instanceof CpuBackend);
            assertEquals(3, ((CpuBackend) b).threads());
        }
        assertEquals(List.of("device: cpu(3 threads)"), lines);
    }

    @Test
    void withoutCudaAutoFallsBackSayingWhyAndCudaFails() {
        assumeFalse(CudaProbe.probe().available(), "this machine has a usable CUDA device");
        String reason = CudaProbe.probe().reason();
        List<String> lines = new ArrayList<>();
        try (Backend b = Devices.open("auto", 2, lines::add)) {
            assertTrue(b instanceof CpuBackend);
        }
        assertEquals(List.of("device: cpu(2 threads) (auto; " + reason + ")"), lines);
        var e = assertThrows(CudaUnavailableException.class, () -> Devices.open("cuda", 2, lines::add));
        assertEquals("CUDA backend unavailable: " + reason, e.getMessage());
        assertEquals("unusable: " + reason, Devices.cudaSummary());
    }

    @Test
    void badNamesAndThreadCountsAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> Devices.open("gpu", 2, s -> {}));
        assertEquals("--device must be auto, cpu or cuda, got 'gpu'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Devices.open("cpu", 0, s -> {}));
        assertEquals("--threads must be at least 1, got 0", e.getMessage());
    }
}
