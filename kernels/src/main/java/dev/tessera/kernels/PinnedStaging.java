package dev.tessera.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

/**
 * All host↔device traffic goes through two page-locked (pinned) staging chunks of {@value #CHUNK_BYTES}
 * bytes, never through Java arrays directly.
 *
 * <p>Why: JCuda pins a {@code Pointer.to(float[])} only for the duration of the JNI call, so an async copy
 * from a Java array may read memory the GC has since moved, and a copy from pageable memory is synchronous
 * anyway. Pinned memory gives real asynchronous uploads: Java fills chunk A while the DMA engine copies
 * chunk B; each chunk has an event recorded after its copy, and Java waits on that event before refilling
 * the chunk. An upload therefore returns as soon as its last chunk is queued, and a later kernel on the
 * same stream sees the data. Downloads copy a chunk, wait for its event, and read it out.
 *
 * <p>Pinned allocation is slow, so the two chunks are allocated once and reused for the life of the backend.
 */
final class PinnedStaging implements AutoCloseable {
    static final int CHUNK_BYTES = 8 << 20;

    private final CudaContext ctx;
    private final Pointer[] host = new Pointer[2];
    private final ByteBuffer[] view = new ByteBuffer[2];
    private final CUevent[] done = new CUevent[2];
    private int next;
    private boolean closed;

    PinnedStaging(CudaContext ctx) {
        this.ctx = ctx;
        for (int i = 0; i < 2; i++) {
            Pointer p = new Pointer();
            CudaCallException.check("cuMemHostAlloc(" + CHUNK_BYTES + " bytes)", () -> JCudaDriver.cuMemHostAlloc(p, CHUNK_BYTES, 0));
            host[i] = p;
            view[i] = p.getByteBuffer(0, CHUNK_BYTES).order(ByteOrder.nativeOrder());
            CUevent e = new CUevent();
            CudaCallException.check("cuEventCreate", () -> JCudaDriver.cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING));
            done[i] = e;
        }
    }

    /** Elements of 4 bytes per chunk. */
    static int chunkElements() {
        return CHUNK_BYTES / 4;
    }

    void upload(float[] src, CUdeviceptr dst) {
        for (int off = 0; off < src.length; off += chunkElements()) {
            int n = Math.min(chunkElements(), src.length - off);
            int slot = acquire();
            view[slot].clear();
            view[slot].asFloatBuffer().put(src, off, n);
            copyIn(slot, dst, off, n);
        }
    }

    void upload(int[] src, CUdeviceptr dst) {
        for (int off = 0; off < src.length; off += chunkElements()) {
            int n = Math.min(chunkElements(), src.length - off);
            int slot = acquire();
            view[slot].clear();
            view[slot].asIntBuffer().put(src, off, n);
            copyIn(slot, dst, off, n);
        }
    }

    void download(CUdeviceptr src, float[] dst) {
        for (int off = 0; off < dst.length; off += chunkElements()) {
            int n = Math.min(chunkElements(), dst.length - off);
            int slot = copyOut(src, off, n);
            view[slot].clear();
            view[slot].asFloatBuffer().get(dst, off, n);
        }
    }

    void download(CUdeviceptr src, int[] dst) {
        for (int off = 0; off < dst.length; off += chunkElements()) {
            int n = Math.min(chunkElements(), dst.length - off);
            int slot = copyOut(src, off, n);
            view[slot].clear();
            view[slot].asIntBuffer().get(dst, off, n);
        }
    }

    /** The next chunk, once the copy that last used it has finished. */
    private int acquire() {
        int slot = next;
        next ^= 1;
        CudaCallException.check("cuEventSynchronize(staging)", () -> JCudaDriver.cuEventSynchronize(done[slot]));
        return slot;
    }

    private void copyIn(int slot, CUdeviceptr dst, int offElems, int n) {
        long bytes = 4L * n;
        CudaCallException.check("cuMemcpyHtoDAsync(" + bytes + " bytes)",
                () -> JCudaDriver.cuMemcpyHtoDAsync(dst.withByteOffset(4L * offElems), host[slot], bytes, ctx.stream()));
        CudaCallException.check("cuEventRecord", () -> JCudaDriver.cuEventRecord(done[slot], ctx.stream()));
    }

    /** Queues a device→chunk copy after all earlier work and waits for it; returns the chunk. */
    private int copyOut(CUdeviceptr src, int offElems, int n) {
        int slot = acquire();
        long bytes = 4L * n;
        CudaCallException.check("cuMemcpyDtoHAsync(" + bytes + " bytes)",
                () -> JCudaDriver.cuMemcpyDtoHAsync(host[slot], src.withByteOffset(4L * offElems), bytes, ctx.stream()));
        CudaCallException.check("cuEventRecord", () -> JCudaDriver.cuEventRecord(done[slot], ctx.stream()));
        CudaCallException.check("cuEventSynchronize(download)", () -> JCudaDriver.cuEventSynchronize(done[slot]));
        return slot;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (int i = 0; i < 2; i++) {
            int s = i;
            CudaCallException.check("cuEventSynchronize", () -> JCudaDriver.cuEventSynchronize(done[s]));
            CudaCallException.check("cuEventDestroy", () -> JCudaDriver.cuEventDestroy(done[s]));
            CudaCallException.check("cuMemFreeHost", () -> JCudaDriver.cuMemFreeHost(host[s]));
        }
    }
}
