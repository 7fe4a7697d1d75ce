package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The probe's contract, checked on every machine (CI has no GPU): it never throws, it answers the same thing
 * every time, and when CUDA is unusable it says why in one line — and starting a backend then fails with that
 * same reason instead of a native-library stack trace.
 */
class CudaProbeTest {

    @Test
    void probeNeverThrowsAndIsCached() {
        CudaStatus s = assertDoesNotThrow(() -> CudaProbe.probe());
        assertSame(s, CudaProbe.probe(), "the answer is cached");
        System.out.println("[cuda] " + s.describe());
        if (!s.available()) {
            assertNotNull(s.reason());
            assertFalse(s.reason().isBlank());
            assertFalse(s.reason().contains("\n"), "one line: " + s.reason());
        } else {
            assertTrue(s.ccMajor() >= CudaProbe.MIN_CC_MAJOR);
            assertTrue(s.kernelsBuilt());
            assertNotNull(s.deviceName());
            assertNotNull(s.gemm());
        }
    }

    @Test
    void probeOfAMissingDeviceIsUnavailable() {
        CudaStatus s = assertDoesNotThrow(() -> CudaProbe.probe(4096));
        assertFalse(s.available());
        assertNotNull(s.reason());
    }

    @Test
    void backendStartFailsWithTheProbeReason() {
        CudaStatus s = CudaProbe.probe();
        if (s.available()) return;  // covered by the GPU tests
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> new CudaBackend(0));
        assertTrue(e.getMessage().contains(s.reason()), e.getMessage());
    }

    @Test
    void describeFormatsAnAvailableDevice() {
        CudaStatus s = new CudaStatus(true, null, 0, "NVIDIA H100 80GB HBM3", 85_000_000_000L, 9, 0, 132, 13000,
                true, false, "Tessera tiled SGEMM");
        assertEquals("9.0", s.computeCapability());
        assertEquals("13.0", s.driverVersionString());
        assertTrue(s.describe().startsWith("cuda:0 NVIDIA H100 80GB HBM3 (79.2 GiB, compute 9.0, 132 SMs, driver CUDA 13.0)"),
                s.describe());
    }

    @Test
    void linkageErrorsBecomeOneLineReasons() {
        var noDriver = new UnsatisfiedLinkError("Could not load the native library 'JCudaDriver-12.6.0-linux-x86_64'\n"
                + "  /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file");
        assertEquals("no CUDA driver (libcuda.so.1 not found)", CudaProbe.driverLoadProblem(noDriver));
        var later = new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver");
        assertTrue(CudaProbe.driverLoadProblem(later).startsWith("no CUDA driver"));
        var other = new UnsatisfiedLinkError("something else\nsecond line");
        assertEquals("JCuda native library failed to load: something else", CudaProbe.driverLoadProblem(other));
    }

    @Test
    void cublasProbeNeverThrows() {
        String problem = assertDoesNotThrow(JCublas2Gemm::libraryProblem);
        System.out.println("[cuda] cuBLAS: " + (problem == null ? "JCublas2 loads" : problem));
    }
}
