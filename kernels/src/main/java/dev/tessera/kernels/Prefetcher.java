package dev.tessera.kernels;

import dev.tessera.engine.backend.Prefetch;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;

/**
 * {@link CudaBackend#prefetch}: the next batch's host→device copy on the context's copy stream, so it runs while
 * the compute stream works through the current step (the DMA engine and the SMs are separate). Two events order
 * the streams, and neither blocks the host:
 * <pre>
 *   compute stream:  … step k−1 … [record "released"] ………… step k ………… [wait "copied"] step k+1 …
 *   copy stream:                 [wait "released"] H2D batch k+1 [record "copied"]
 * </pre>
 * "released" makes the copy wait for every kernel queued before the prefetch (the previous reader of the buffer
 * among them); "copied" is recorded after the copy, and {@link Prefetch#await} makes the compute stream's later work
 * wait for it (cuStreamWaitEvent), before the step's first use. The pinned blocks are {@link PinnedStaging}'s, each
 * reused only after its own event on the copy stream. The destination is persistent, so the caching allocator
 * (which assumes one stream) never sees a block the copy stream touches.
 */
final class Prefetcher implements AutoCloseable {
    private final CudaContext ctx;
    private final CudaDriver driver;
    private final PinnedStaging staging;
    /** Re-recorded by every prefetch: a cuStreamWaitEvent takes the event's state at the time of the call. */
    private CUevent released;
    private final ArrayDeque<CUevent> idle = new ArrayDeque<>();
    private final List<CUevent> all = new ArrayList<>();

    Prefetcher(CudaContext ctx, PinnedStaging staging) {
        this.ctx = ctx;
        this.driver = ctx.driver();
        this.staging = staging;
    }

    private CUevent event() {
        CUevent e = idle.poll();
        if (e != null) return e;
        e = driver.createEvent(false);
        all.add(e);
        return e;
    }

    Prefetch copy(float[] src, CUdeviceptr dst) {
        if (released == null) released = event();
        driver.record(released, ctx.stream());
        driver.streamWait(ctx.copyStream(), released);
        staging.upload(src, dst, ctx.copyStream());
        CUevent copied = event();
        driver.record(copied, ctx.copyStream());
        return new Prefetch() {
            private boolean awaited;

            @Override
            public void await() {
                if (awaited) return;
                awaited = true;
                ctx.makeCurrent();
                driver.streamWait(ctx.stream(), copied);
                idle.push(copied);   // free to record again: the wait has taken its state
            }
        };
    }

    @Override
    public void close() {
        ResourceStack steps = new ResourceStack();
        for (CUevent e : all) steps.push("prefetch event", () -> driver.destroyEvent(e));
        all.clear();
        idle.clear();
        steps.close();
    }
}
