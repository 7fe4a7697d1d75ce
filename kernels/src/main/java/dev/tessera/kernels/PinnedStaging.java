package dev.tessera.kernels;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUstream;

/**
 * All host↔device traffic goes through page-locked (pinned) staging blocks, never through Java arrays directly.
 *
 * <p>Why pinned: JCuda pins a {@code Pointer.to(float[])} only for the duration of the JNI call, so an async copy
 * from a Java array may read memory the GC has since moved, and a copy from pageable memory is synchronous anyway.
 *
 * <p>Why a pool of blocks: an upload copies the Java array into a free block, queues ONE asynchronous copy to the
 * device, records the block's event and returns, so the host goes on queuing kernels while the DMA engine copies
 * (a later kernel on the same stream sees the data). A block is free again once its event has passed, which is
 * asked without blocking (cuEventQuery); if no free block fits, a new one is allocated. So an upload never waits
 * for the GPU: the host is usually far ahead of it, and a wait for an earlier copy — queued behind every kernel
 * launched since — would drain the whole pipeline. (The previous design, two 8 MiB chunks used in turn, did exactly
 * that: one wait per chunk, twenty for a batch of ViT-B images and one per third small upload; the launch census in
 * bench/RESULTS.md has the counts.) After the first steps the pool holds what one step keeps in flight, a block of
 * the batch's size among them, and allocates nothing more; past {@value #MAX_POOL_BYTES} bytes it waits for the
 * oldest block instead of growing.
 *
 * <p>Blocks come in powers of two from {@value #MIN_BLOCK_BYTES} bytes to {@value #MAX_BLOCK_BYTES}; a larger
 * transfer goes through in pieces of the largest size. A download copies into a block and waits for that copy.
 */
final class PinnedStaging implements AutoCloseable {
    static final int MIN_BLOCK_BYTES = 64 << 10;
    static final int MAX_BLOCK_BYTES = 256 << 20;
    static final long MAX_POOL_BYTES = 1L << 30;

    /** One pinned block and the event recorded after the last copy that used it. */
    private static final class Block {
        final CudaDriver.HostMemory memory;
        final CUevent done;
        /** Order of the last use, for "oldest in flight". */
        long lastUse;
        boolean inFlight;

        Block(CudaDriver.HostMemory memory, CUevent done) {
            this.memory = memory;
            this.done = done;
        }

        long capacity() {
            return memory.view().capacity();
        }
    }

    private final CudaContext ctx;
    private final CudaDriver driver;
    private final List<Block> blocks = new ArrayList<>();   // sorted by capacity
    private long pooledBytes, uses;
    private boolean closed;

    PinnedStaging(CudaContext ctx) {
        this.ctx = ctx;
        this.driver = ctx.driver();
    }

    /** Elements of 4 bytes a transfer moves per piece (the largest block). */
    static int pieceElements() {
        return MAX_BLOCK_BYTES / 4;
    }

    /** Pinned bytes the pool holds (for tests and the memory report). */
    long pooledBytes() {
        return pooledBytes;
    }

    void upload(float[] src, CUdeviceptr dst) {
        upload(src, dst, ctx.stream());
    }

    /** An upload queued on {@code stream} (the copy stream of a prefetch); each block is reused only after its event. */
    void upload(float[] src, CUdeviceptr dst, CUstream stream) {
        for (int off = 0; off < src.length; off += pieceElements()) {
            int n = Math.min(pieceElements(), src.length - off);
            Block b = take(4L * n);
            view(b).asFloatBuffer().put(src, off, n);
            copyIn(b, dst, off, n, stream);
        }
    }

    void upload(int[] src, CUdeviceptr dst) {
        for (int off = 0; off < src.length; off += pieceElements()) {
            int n = Math.min(pieceElements(), src.length - off);
            Block b = take(4L * n);
            view(b).asIntBuffer().put(src, off, n);
            copyIn(b, dst, off, n, ctx.stream());
        }
    }

    void download(CUdeviceptr src, float[] dst) {
        for (int off = 0; off < dst.length; off += pieceElements()) {
            int n = Math.min(pieceElements(), dst.length - off);
            Block b = copyOut(src, off, n);
            view(b).asFloatBuffer().get(dst, off, n);
        }
    }

    void download(CUdeviceptr src, int[] dst) {
        for (int off = 0; off < dst.length; off += pieceElements()) {
            int n = Math.min(pieceElements(), dst.length - off);
            Block b = copyOut(src, off, n);
            view(b).asIntBuffer().get(dst, off, n);
        }
    }

    private static ByteBuffer view(Block b) {
        return b.memory.view().clear();
    }

    /** The smallest free block of at least {@code bytes}, a new one if none is free, or (pool full) the oldest, awaited. */
    private Block take(long bytes) {
        for (Block b : blocks) {
            if (b.capacity() < bytes) continue;
            if (b.inFlight && !driver.query(b.done)) continue;
            b.inFlight = false;
            return b;
        }
        long size = Math.max(MIN_BLOCK_BYTES, Long.highestOneBit(Math.max(1, bytes - 1)) << 1);
        while (pooledBytes + size > MAX_POOL_BYTES && !blocks.isEmpty()) {
            Block oldest = oldestInFlight();
            if (oldest == null) break;
            driver.waitEvent(oldest.done);
            oldest.inFlight = false;
            if (oldest.capacity() >= bytes) return oldest;
            release(oldest);
        }
        return allocate(size);
    }

    private Block oldestInFlight() {
        Block oldest = null;
        for (Block b : blocks) if (b.inFlight && (oldest == null || b.lastUse < oldest.lastUse)) oldest = b;
        return oldest;
    }

    private Block allocate(long size) {
        CudaDriver.HostMemory m = driver.mallocHost(size);
        CUevent e;
        try {
            e = driver.createEvent(false);
        } catch (RuntimeException | Error x) {
            driver.freeHost(m);
            throw x;
        }
        Block b = new Block(m, e);
        int i = 0;
        while (i < blocks.size() && blocks.get(i).capacity() <= size) i++;
        blocks.add(i, b);
        pooledBytes += size;
        return b;
    }

    private void release(Block b) {
        blocks.remove(b);
        pooledBytes -= b.capacity();
        ResourceStack steps = new ResourceStack();
        steps.push("pinned staging block", () -> driver.freeHost(b.memory));
        steps.push("staging event", () -> driver.destroyEvent(b.done));
        steps.close();
    }

    private void copyIn(Block b, CUdeviceptr dst, int offElems, int n, CUstream stream) {
        driver.copyToDevice(dst.withByteOffset(4L * offElems), b.memory.pointer(), 4L * n, stream);
        driver.record(b.done, stream);
        b.inFlight = true;
        b.lastUse = ++uses;
    }

    /** Queues a device→block copy after all earlier work and waits for it; returns the block. */
    private Block copyOut(CUdeviceptr src, int offElems, int n) {
        Block b = take(4L * n);
        driver.copyToHost(b.memory.pointer(), src.withByteOffset(4L * offElems), 4L * n, ctx.stream());
        driver.record(b.done, ctx.stream());
        driver.waitEvent(b.done);
        b.lastUse = ++uses;
        return b;
    }

    /** Waits for the copies in flight, then frees every block and event, each step even if an earlier one failed. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ResourceStack steps = new ResourceStack();
        for (Block b : blocks) {
            steps.push("pinned staging block", () -> driver.freeHost(b.memory));
            steps.push("staging event", () -> driver.destroyEvent(b.done));
            if (b.inFlight) steps.push("staging copy", () -> driver.waitEvent(b.done));
        }
        blocks.clear();
        pooledBytes = 0;
        steps.close();
    }
}
