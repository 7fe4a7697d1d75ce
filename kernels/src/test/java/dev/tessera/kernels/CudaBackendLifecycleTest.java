package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.Buffer;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUresult;
import org.junit.jupiter.api.Test;

/**
 * The backend's start, close and error paths, on the recording driver (no GPU): what happens when the device
 * faults, when a step of the constructor fails, when cuBLAS refuses to start, and where the gather error record is
 * read. Each test makes one driver call fail and checks that every handle, block, event, stream, module and
 * context reference was released anyway ({@link RecordingDriver#leaks}).
 */
class CudaBackendLifecycleTest {

    /** A recording driver that throws {@code code} from the {@code failAt}-th call (1-based), and records call names. */
    static class FailingDriver extends RecordingDriver {
        final List<String> calls = new ArrayList<>();
        int failAt;
        int code = CUresult.CUDA_ERROR_INVALID_VALUE;
        String failOn;          // or: every call of this name fails (a sticky error keeps failing)

        FailingDriver() {
            super(1L << 34);
        }

        @Override
        protected void before(String call) {
            calls.add(call);
            if (calls.size() == failAt || call.equals(failOn)) {
                throw new CudaCallException(call + " (injected)", code, null);
            }
        }
    }

    static CudaBackend start(RecordingDriver driver) {
        return start(driver, CudaOptions.defaults(), List.of());
    }

    static CudaBackend start(RecordingDriver driver, CudaOptions options, List<GemmSelection.Candidate> cublas) {
        return new CudaBackend(driver, LaunchCensus.H100, options, (ctx, lc, o) -> cublas);
    }

    @Test
    void closeReleasesEverythingAndResetsTheContextAfterAStickyFault() {
        FailingDriver d = new FailingDriver();
        CudaBackend gpu = start(d);
        Buffer b = gpu.allocate(1000);
        gpu.fill(b, 1f);
        // an illegal address: from now on every synchronize and event wait fails, as on a real device
        d.code = CUresult.CUDA_ERROR_ILLEGAL_ADDRESS;
        d.failOn = "synchronize";
        CudaCallException e = assertThrows(CudaCallException.class, gpu::close);
        assertEquals(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, e.code());
        assertTrue(e.isSticky());
        assertEquals("", d.leaks(), "everything released although the synchronize failed");
        assertEquals(1, d.resets(), "the primary context is reset so the next backend starts clean");
    }

    @Test
    void eachResourceClosesEvenWhenAnEarlierCloseThrows() {
        FailingDriver d = new FailingDriver();
        CudaBackend gpu = start(d);
        gpu.upload(new float[1000], gpu.allocate(1000));   // a staging block with a copy in flight
        d.code = CUresult.CUDA_ERROR_ILLEGAL_ADDRESS;
        d.failOn = "waitEvent";   // the staging's wait fails first; frees, module, stream and context must still go
        CudaCallException e = assertThrows(CudaCallException.class, gpu::close);
        assertTrue(e.getSuppressed().length > 0 || e.getMessage().contains("waitEvent"), e.toString());
        String leaks = d.leaks();
        assertFalse(leaks.contains("device blocks"), leaks);
        assertFalse(leaks.contains("pinned"), leaks);
        assertFalse(leaks.contains("module"), leaks);
        assertFalse(leaks.contains("context"), leaks);
        assertFalse(leaks.contains("stream"), leaks);
        assertFalse(leaks.contains("events"), leaks);
    }

    @Test
    void aCleanCloseDoesNotResetTheContext() {
        FailingDriver d = new FailingDriver();
        start(d).close();
        assertEquals("", d.leaks());
        assertEquals(0, d.resets());
    }

    /** Fails each driver call of a normal start in turn: whatever was opened before it is released again. */
    @Test
    void aFailureAnywhereInTheConstructorLeaksNothing() {
        FailingDriver probe = new FailingDriver();
        start(probe).close();
        int callsToStart = probe.calls.indexOf("synchronize");   // close begins with the synchronize
        assertTrue(callsToStart > 8, "start made " + callsToStart + " driver calls: " + probe.calls);
        for (int k = 1; k <= callsToStart; k++) {
            FailingDriver d = new FailingDriver();
            d.failAt = k;
            String failing = probe.calls.get(k - 1);
            RuntimeException e = assertThrows(RuntimeException.class, () -> start(d), "call " + k + " " + failing);
            assertTrue(e.getMessage().contains("injected") || e.getCause() != null, e.toString());
            assertEquals("", d.leaks(), "after " + failing + " (call " + k + ") failed");
        }
    }

    @Test
    void aCublasThatFailsToStartFallsBackToOurKernelsAndSaysWhy() {
        FailingDriver d = new FailingDriver();
        GemmSelection.Candidate refusing = GemmSelection.candidate("cuBLAS 13 via FFM", () -> {
            throw new IllegalStateException("cublasCreate failed: CUBLAS_STATUS_NOT_INITIALIZED (1)");
        });
        GemmSelection.Candidate absent = GemmSelection.candidate("cuBLAS 12 via JCublas2", () -> {
            throw new GemmSelection.Missing("libcublas.so.12 not found");
        });
        try (CudaBackend gpu = start(d, new CudaOptions(true, true, false), List.of(refusing, absent))) {
            String g = gpu.gemmDescription();
            assertTrue(g.startsWith("own kernels"), g);
            assertTrue(g.contains("cuBLAS 13 via FFM failed: cublasCreate failed: CUBLAS_STATUS_NOT_INITIALIZED"), g);
            assertTrue(g.contains("cuBLAS 12 via JCublas2: libcublas.so.12 not found"), g);
            assertFalse(gpu.gemmUsesTf32(), "TF32 was asked for, but our kernels compute fp32: never reported as TF32");
        }
        assertEquals("", d.leaks());
    }

    @Test
    void cublasSwitchedOffIsSaid() {
        try (CudaBackend gpu = start(new FailingDriver(), new CudaOptions(false, false, false), List.of())) {
            assertTrue(gpu.gemmDescription().contains("cuBLAS switched off"), gpu.gemmDescription());
        }
    }

    @Test
    void anEmptyDownloadWaitsForTheGatherErrorRecordItReads() {
        FailingDriver d = new FailingDriver();
        try (CudaBackend gpu = start(d)) {
            Buffer src = gpu.allocate(4 * 3), idx = gpu.allocateInts(2), out = gpu.allocate(2 * 3);
            gpu.gather(src, idx, out, 1, 4, 2, 3);
            d.calls.clear();
            assertArrayEquals(new float[0], gpu.download(gpu.allocate(0)));
            int copy = d.calls.indexOf("copyToHost"), wait = d.calls.lastIndexOf("waitEvent");
            assertTrue(copy >= 0 && wait > copy, "the error record is copied, then waited for: " + d.calls);
        }
    }

    @Test
    void aDownloadReadsTheGatherErrorRecordWithinItsOwnWait() {
        FailingDriver d = new FailingDriver();
        try (CudaBackend gpu = start(d)) {
            Buffer src = gpu.allocate(4 * 3), idx = gpu.allocateInts(2), out = gpu.allocate(2 * 3);
            gpu.gather(src, idx, out, 1, 4, 2, 3);
            LaunchCensus.Counts before = d.counts();
            gpu.download(out);
            LaunchCensus.Counts c = d.counts().minus(before);
            assertEquals(2, c.downloads(), "the error record and the data");
            assertEquals(1, c.hostWaits(), "one wait covers both copies");
        }
    }

    @Test
    void uninitialisedAllocationsSkipTheMemset() {
        FailingDriver d = new FailingDriver();
        try (CudaBackend gpu = start(d)) {
            LaunchCensus.Counts before = d.counts();
            gpu.allocate(100);
            gpu.allocateUninitialized(100);
            gpu.allocateInts(100);
            assertEquals(2, d.counts().minus(before).memsets(), "allocate and allocateInts zero-fill; allocateUninitialized does not");
        }
    }

    @Test
    void anUploadIsOneCopyAndNeverWaitsForTheGpu() {
        FailingDriver d = new FailingDriver();
        try (CudaBackend gpu = start(d)) {
            int n = 40 << 20 >> 2;   // 40 MB
            Buffer a = gpu.allocate(n), b = gpu.allocate(n), c = gpu.allocate(n);
            LaunchCensus.Counts before = d.counts();
            gpu.upload(new float[n], a);
            gpu.upload(new float[n], b);
            gpu.upload(new float[n], c);
            for (int i = 0; i < 20; i++) gpu.uploadInts(new int[] {i}, gpu.allocateInts(1));
            LaunchCensus.Counts up = d.counts().minus(before);
            assertEquals(23, up.uploads(), "one copy per upload");
            assertEquals(0, up.hostWaits(), "the recording GPU never catches up on its own, and no upload waits for it");
            gpu.synchronize();
            LaunchCensus.Counts after = d.counts();
            gpu.upload(new float[n], a);
            for (int i = 0; i < 20; i++) gpu.uploadInts(new int[] {i}, gpu.allocateInts(1));
            assertEquals(0, d.counts().minus(after).hostWaits());
            assertArrayEquals(new float[3], gpu.download(a.slice(0, 3)));
        }
        assertEquals("", d.leaks());
    }

    @Test
    void theStagingPoolStopsGrowingOnceCopiesFinish() {
        FailingDriver d = new FailingDriver();
        try (CudaBackend gpu = start(d)) {
            Buffer big = gpu.allocate(1 << 20);
            int hostAllocs = -1;
            for (int step = 0; step < 4; step++) {
                gpu.upload(new float[1 << 20], big);
                for (int i = 0; i < 10; i++) gpu.uploadInts(new int[] {i}, gpu.allocateInts(1));
                gpu.download(big.slice(0, 1));   // the step's loss: waits, so every earlier copy is done
                long now = d.calls.stream().filter("mallocHost"::equals).count();
                if (step == 2) hostAllocs = (int) now;
                if (step == 3) assertEquals(hostAllocs, now, "no pinned allocation once the pool holds a step's uploads");
            }
        }
        assertEquals("", d.leaks());
    }
}
