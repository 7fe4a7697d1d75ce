package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.engine.backend.AdamWStep;
import dev.tessera.engine.backend.Buffer;
import dev.tessera.engine.backend.CapturedStep;
import dev.tessera.engine.backend.Prefetch;
import dev.tessera.engine.backend.StepCaptureException;
import dev.tessera.engine.backend.StepScope;
import dev.tessera.engine.backend.UnaryOp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The prefetch's two streams and the CUDA graph capture, proven on the {@link RecordingDriver} (no GPU): which stream
 * each copy, wait and launch is queued on; that a capture records and runs nothing, refuses cuMemAlloc and host
 * traffic with a precise error and leaves nothing held when it fails; that a replay is one graph launch.
 */
class CudaGraphRecordingTest {

    /** A little step: scope-owned temporaries (from the cache), two kernels and an AdamW update reading its constants. */
    private static void step(CudaBackend gpu, Buffer x, Buffer y, Buffer m, Buffer v, Buffer table, Buffer scalars) {
        try (StepScope _ = gpu.openScope()) {
            Buffer t = gpu.allocateUninitialized(x.length());
            gpu.unary(UnaryOp.EXP, 0f, x, t);
            gpu.unary(UnaryOp.NEG, 0f, t, y);
        }
        gpu.adamWRanges(x, y, m, v, table, 1, scalars);
    }

    @Test
    void prefetchCopiesOnTheCopyStreamAndTheComputeStreamWaitsForIt() {
        RecordingDriver d = new RecordingDriver(1L << 30);
        try (CudaBackend gpu = CudaBackendLifecycleTest.start(d)) {
            Buffer dst = gpu.allocate(1000), out = gpu.allocate(1000);
            d.tracing(true);
            Prefetch p = gpu.prefetch(new float[1000], dst);
            p.await();
            gpu.unary(UnaryOp.EXP, 0f, dst, out);
            assertEquals(List.of("wait on stream 1", "copy→device 4000 bytes on stream 1", "wait on stream 0",
                    "launch " + d.trace().get(3).substring("launch ".length()).replace(" on stream 0", "") + " on stream 0"),
                    d.trace(), "the copy waits for the compute stream's queued work, then the compute stream waits for the copy");
            assertEquals(2, d.streamWaits());
            assertEquals(0, d.counts().hostWaits(), "no host wait");
        }
        assertEquals("", d.leaks());
    }

    @Test
    void aCapturedStepRecordsWithoutRunningAndAReplayIsOneGraphLaunch() {
        RecordingDriver d = new RecordingDriver(1L << 30);
        try (CudaBackend gpu = CudaBackendLifecycleTest.start(d)) {
            Buffer x = gpu.allocate(256), y = gpu.allocate(256), m = gpu.allocate(256), v = gpu.allocate(256);
            Buffer table = gpu.allocateInts(3), k = gpu.allocate(AdamWStep.SCALARS);
            gpu.uploadInts(new int[] {0, 0, 256}, table);
            step(gpu, x, y, m, v, table, k);                       // warm: the temporary's block is now in the cache
            LaunchCensus.Counts before = d.counts();
            d.tracing(true);
            CapturedStep g = gpu.captureStep(() -> step(gpu, x, y, m, v, table, k)).orElseThrow();
            LaunchCensus.Counts during = d.counts().minus(before);
            assertEquals(0, during.kernelLaunches(), "a capture runs nothing");
            assertEquals(0, during.deviceAllocations(), "no cuMemAlloc during capture");
            assertEquals(0, during.hostWaits());
            assertEquals("begin capture on stream 0", d.trace().getFirst());
            assertTrue(d.trace().getLast().startsWith("end capture on stream 0: 3 nodes"), d.trace().toString());
            assertTrue(d.trace().contains("capture launch adamw_ranges"), d.trace().toString());

            d.keepUploads(true);
            LaunchCensus.Counts beforeReplay = d.counts();
            float[] constants = new AdamWStep(1e-3f, 0.9f, 0.95f, 1e-8f, 0.05f, 7).scalars();
            gpu.adamWScalars(new AdamWStep(1e-3f, 0.9f, 0.95f, 1e-8f, 0.05f, 7), k);
            g.replay();
            LaunchCensus.Counts replay = d.counts().minus(beforeReplay);
            assertEquals(0, replay.kernelLaunches(), "a replay launches the graph, not its kernels");
            assertEquals(1, d.graphLaunches());
            assertEquals(1, replay.uploads(), "the constants' one copy before the replay");
            assertArrayEquals(bytes(constants), d.uploads().getFirst().bytes(), "the bytes the graph's AdamW reads");
            long downloads = d.counts().downloads();
            assertFalse(gpu.adamWNonFinite());
            assertEquals(downloads + 1, d.counts().downloads(), "the replayed update's non-finite word is read, not skipped");
            g.close();
            step(gpu, x, y, m, v, table, k);                       // the graph's block is back in the cache: no cuMemAlloc
        }
        assertEquals("", d.leaks());
    }

    /**
     * The trainer's two compute graphs (one per input set) share one pool: the second capture finds the first's
     * temporaries there (the cache is empty, so without sharing it would be refused), and the memory stays with the
     * pool until both graphs are closed.
     */
    @Test
    void twoGraphsThatRunInTurnShareOnePool() {
        RecordingDriver d = new RecordingDriver(1L << 30);
        try (CudaBackend gpu = CudaBackendLifecycleTest.start(d)) {
            Buffer x = gpu.allocate(256), y = gpu.allocate(256), m = gpu.allocate(256), v = gpu.allocate(256);
            Buffer x2 = gpu.allocate(256), table = gpu.allocateInts(3), k = gpu.allocate(AdamWStep.SCALARS);
            gpu.uploadInts(new int[] {0, 0, 256}, table);
            step(gpu, x, y, m, v, table, k);                       // warm: one temporary block in the cache
            CapturedStep a = gpu.captureStep(() -> step(gpu, x, y, m, v, table, k)).orElseThrow();
            assertThrows(StepCaptureException.class, () -> gpu.captureStep(() -> step(gpu, x2, y, m, v, table, k)),
                    "a pool of its own would need cuMemAlloc: the cache gave its block to the first graph");
            long mallocs = d.counts().deviceAllocations();
            CapturedStep b = gpu.captureStep(() -> step(gpu, x2, y, m, v, table, k), a).orElseThrow();
            assertEquals(mallocs, d.counts().deviceAllocations(), "the second graph reuses the first's temporary");
            a.replay();
            b.replay();
            assertEquals(2, d.graphLaunches());
            a.close();
            b.replay();                                            // the shared memory lives while one graph does
            step(gpu, x, y, m, v, table, k);
            assertEquals(mallocs + 1, d.counts().deviceAllocations(), "the pool still holds its block for the second graph");
            b.close();
            long now = d.counts().deviceAllocations();
            step(gpu, x, y, m, v, table, k);
            step(gpu, x, y, m, v, table, k);
            assertEquals(now, d.counts().deviceAllocations(), "both graphs closed: their block is back in the cache");
        }
        assertEquals("", d.leaks());
    }

    @Test
    void aCaptureRefusesNewMemoryAndHostTrafficAndHoldsNothingAfterwards() {
        RecordingDriver d = new RecordingDriver(1L << 30);
        try (CudaBackend gpu = CudaBackendLifecycleTest.start(d)) {
            Buffer x = gpu.allocate(100);
            StepCaptureException alloc = assertThrows(StepCaptureException.class, () -> gpu.captureStep(() -> {
                try (StepScope _ = gpu.openScope()) {
                    gpu.allocate(12345);
                }
            }));
            assertTrue(alloc.getMessage().contains("during CUDA graph capture") && alloc.getMessage().contains("cuMemAlloc"),
                    alloc.getMessage());
            StepCaptureException upload = assertThrows(StepCaptureException.class,
                    () -> gpu.captureStep(() -> gpu.upload(new float[100], x)));
            assertTrue(upload.getMessage().contains("upload of 100 floats during CUDA graph capture"), upload.getMessage());
            StepCaptureException download = assertThrows(StepCaptureException.class, () -> gpu.captureStep(() -> gpu.download(x)));
            assertTrue(download.getMessage().contains("download of 100 floats"), download.getMessage());
            // after the failures the backend works eagerly as before
            gpu.upload(new float[100], x);
            assertEquals(100, gpu.download(x).length);
            assertEquals(0, d.graphLaunches());
        }
        assertEquals("", d.leaks(), "a failed capture destroys its graph");
    }

    @Test
    void aDriverErrorDuringCaptureBecomesAStepCaptureException() {
        RecordingDriver d = new RecordingDriver(1L << 30) {
            @Override
            protected void before(String call) {
                if (call.equals("instantiate")) throw new CudaCallException("cuGraphInstantiate", 1, null);
            }
        };
        try (CudaBackend gpu = CudaBackendLifecycleTest.start(d)) {
            Buffer x = gpu.allocate(100), y = gpu.allocate(100);
            StepCaptureException e = assertThrows(StepCaptureException.class,
                    () -> gpu.captureStep(() -> gpu.unary(UnaryOp.EXP, 0f, x, y)));
            assertTrue(e.getMessage().startsWith("CUDA graph capture failed: cuGraphInstantiate"), e.getMessage());
            gpu.unary(UnaryOp.EXP, 0f, x, y);                      // eager after the failure
            assertFalse(d.counts().launches().isEmpty());
        }
        assertEquals("", d.leaks());
    }

    private static byte[] bytes(float[] f) {
        ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(f);
        return b.array();
    }
}
