package dev.tessera.kernels;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import jcuda.driver.CUdeviceptr;

/**
 * A caching device allocator in the PyTorch style. cuMemAlloc and cuMemFree are slow (they synchronize the
 * device) and a training step asks for the same sizes every time, so released blocks are kept on free lists
 * keyed by a rounded size class and handed out again; the driver is asked only on a miss. After the first
 * few steps every request is a hit: {@link #systemAllocations()} stops growing and device memory stays flat.
 *
 * <p>Size classes ({@link #sizeClass}): multiples of 512 bytes up to 1 MiB, above that four classes per power
 * of two (…, 1 MiB, 1.25, 1.5, 1.75, 2 MiB, 2.5, …), so at most 25% of a block is wasted and nearby sizes
 * share blocks. Blocks are never split or merged — simple to reason about, and enough for a workload whose
 * sizes repeat.
 *
 * <p>Why handing a freed block straight to the next request is safe: the backend queues every kernel and
 * copy on ONE stream, so any later use of the block runs after every earlier use has finished. A second
 * stream would need per-stream free lists or events (PyTorch's record_stream); the copy stream of
 * {@code CudaBackend.prefetch} writes only persistent buffers, which never come back here during a run.
 *
 * <p>CUDA graph capture ({@link #beginPrivatePool}): the blocks a captured step uses are baked into its graph, so
 * they must never go to anyone else while the graph lives (PyTorch gives each capture a private memory pool for the
 * same reason). During a capture every request is served from the capture's own free list, then from the general
 * cache (the block moves into the capture's pool); a miss would need cuMemAlloc, which the driver forbids while
 * capturing, so it fails with a message saying so — the trainer runs eager steps first, which leave a block of
 * every size the step needs in the cache. A block released during or after the capture goes back to the pool, not
 * the cache, until {@link #releasePool} (the graph is destroyed; with graphs sharing a pool, the last of them).
 *
 * <p>Out of memory: the cache is emptied (cached blocks go back to the driver) and the request is retried
 * once; if it still fails, {@link DeviceOutOfMemoryException} says requested vs free bytes.
 * JCuda's cuMemAllocAsync pools cannot be given a release threshold, which is why this is hand-written.
 */
final class DeviceAllocator implements AutoCloseable {

    /** The driver calls the allocator needs; a fake implements it in the CPU-only unit test. */
    interface Raw {
        /** A new device block of exactly {@code bytes}, or null when the device is out of memory. */
        CUdeviceptr malloc(long bytes);

        void free(CUdeviceptr p);

        /** {free, total} bytes on the device. */
        long[] memoryInfo();
    }

    /** One device block as the driver allocated it. */
    static final class Block {
        final CUdeviceptr ptr;
        final long bytes;

        Block(CUdeviceptr ptr, long bytes) {
            this.ptr = ptr;
            this.bytes = bytes;
        }
    }

    /**
     * One lease of a block: what a buffer holds. Releasing the lease returns the block to the cache and
     * poisons the lease, so a buffer used after its step scope closed fails loudly instead of reading
     * memory that now belongs to someone else.
     */
    static final class Allocation {
        private final Block block;
        /** The capture's pool this block belongs to, or null. */
        private final PrivatePool pool;
        private boolean released;

        private Allocation(Block block, PrivatePool pool) {
            this.block = block;
            this.pool = pool;
        }

        CUdeviceptr ptr() {
            if (released) {
                throw new IllegalStateException("device buffer used after it was released (its step scope closed)");
            }
            return block.ptr;
        }

        long bytes() {
            return block.bytes;
        }

        boolean released() {
            return released;
        }
    }

    /**
     * The blocks captured graphs own: their free list, and how many graphs still use it. Graphs that only ever run one
     * after the other on the one stream may share a pool (the trainer's two compute graphs, one per input buffer
     * set): none of them can touch a block while another runs.
     */
    static final class PrivatePool {
        private final Map<Long, ArrayDeque<Block>> free = new HashMap<>();
        private long blocks;
        private int users = 1;
        private boolean released;

        /** How many blocks the capture took from the cache (for tests). */
        long blocks() {
            return blocks;
        }
    }

    static final long MIN_BLOCK = 512;
    static final long SMALL_LIMIT = 1L << 20;

    private final Raw raw;
    private final Map<Long, ArrayDeque<Block>> free = new HashMap<>();
    private final Set<Block> all = new HashSet<>();  // identity: Block has no equals
    private long liveBuffers, liveBytes, pooledBytes, systemAllocations;
    private boolean closed;
    private PrivatePool capturing;

    DeviceAllocator(Raw raw) {
        this.raw = raw;
    }

    /** The block size used for a request of {@code bytes}. */
    static long sizeClass(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation size " + bytes);
        if (bytes <= SMALL_LIMIT) return Math.max(MIN_BLOCK, (bytes + MIN_BLOCK - 1) / MIN_BLOCK * MIN_BLOCK);
        long base = Long.highestOneBit(bytes - 1);  // largest power of two < bytes
        long step = base / 4;
        return (bytes + step - 1) / step * step;
    }

    synchronized Allocation allocate(long bytes) {
        if (closed) throw new IllegalStateException("allocator is closed");
        long size = sizeClass(bytes);
        if (capturing != null) return allocateCaptured(bytes, size);
        ArrayDeque<Block> q = free.get(size);
        Block b = q == null ? null : q.poll();
        if (b != null) {
            pooledBytes -= size;
        } else {
            CUdeviceptr p = raw.malloc(size);
            if (p == null) {
                emptyCache();
                p = raw.malloc(size);
            }
            if (p == null) {
                long[] info = raw.memoryInfo();
                throw new DeviceOutOfMemoryException(bytes, info[0], info[1], liveBytes);
            }
            b = new Block(p, size);
            all.add(b);
            systemAllocations++;
        }
        liveBuffers++;
        liveBytes += size;
        return new Allocation(b, null);
    }

    /** A block for the capture in progress: from its pool, else from the cache; never from the driver. */
    private Allocation allocateCaptured(long bytes, long size) {
        PrivatePool pool = capturing;
        ArrayDeque<Block> own = pool.free.get(size);
        Block b = own == null ? null : own.poll();
        if (b == null) {
            ArrayDeque<Block> q = free.get(size);
            b = q == null ? null : q.poll();
            if (b == null) {
                throw new IllegalStateException("device allocation of " + bytes + " bytes during CUDA graph capture: the cache "
                        + "has no free block of " + size + " bytes and cuMemAlloc is not allowed while capturing (run eager "
                        + "steps of the same shapes first, so the cache holds every size the step needs)");
            }
            pool.blocks++;
        }
        pooledBytes -= size;
        liveBuffers++;
        liveBytes += size;
        return new Allocation(b, pool);
    }

    /** From now until {@link #endPrivatePool}, allocations are a capture's (see the class comment). */
    synchronized PrivatePool beginPrivatePool() {
        if (capturing != null) throw new IllegalStateException("a CUDA graph capture is already in progress");
        capturing = new PrivatePool();
        return capturing;
    }

    /**
     * {@link #beginPrivatePool} into {@code shared}, the pool of a graph that never runs at the same time as the one
     * now captured; the pool gains a user only when {@link #sharePool} says the capture succeeded.
     */
    synchronized PrivatePool beginPrivatePool(PrivatePool shared) {
        if (capturing != null) throw new IllegalStateException("a CUDA graph capture is already in progress");
        if (shared.released) throw new IllegalStateException("a CUDA graph capture into a released pool");
        capturing = shared;
        return capturing;
    }

    /** One more graph uses {@code pool}: it goes back to the cache after one more {@link #releasePool}. */
    synchronized void sharePool(PrivatePool pool) {
        pool.users++;
    }

    /** Ends the capture's allocations; its blocks stay with it until {@link #releasePool}. */
    synchronized void endPrivatePool() {
        capturing = null;
    }

    /** True while a capture takes blocks ({@link #beginPrivatePool}). */
    synchronized boolean capturing() {
        return capturing != null;
    }

    /**
     * The graph is gone: its free blocks go back to the cache, and its blocks still leased go there when released.
     * (The graph's last replay may still run, but it is queued on the one stream before any later use of the blocks.)
     */
    synchronized void releasePool(PrivatePool pool) {
        if (pool.released || --pool.users > 0) return;
        pool.released = true;
        if (capturing == pool) capturing = null;
        for (Map.Entry<Long, ArrayDeque<Block>> e : pool.free.entrySet()) {
            free.computeIfAbsent(e.getKey(), s -> new ArrayDeque<>()).addAll(e.getValue());
        }
        pool.free.clear();
    }

    synchronized void release(Allocation a) {
        if (a.released || closed) return;
        a.released = true;
        liveBuffers--;
        liveBytes -= a.block.bytes;
        pooledBytes += a.block.bytes;
        Map<Long, ArrayDeque<Block>> to = a.pool != null && !a.pool.released ? a.pool.free : free;
        to.computeIfAbsent(a.block.bytes, s -> new ArrayDeque<>()).push(a.block);
    }

    /** Returns every cached (not live) block to the driver. */
    synchronized void emptyCache() {
        for (ArrayDeque<Block> q : free.values()) {
            for (Block b : q) {
                raw.free(b.ptr);
                all.remove(b);
            }
        }
        free.clear();
        pooledBytes = 0;
    }

    synchronized long liveBuffers() {
        return liveBuffers;
    }

    synchronized long liveBytes() {
        return liveBytes;
    }

    synchronized long pooledBytes() {
        return pooledBytes;
    }

    /** How many times the driver was asked for memory (cuMemAlloc calls). */
    synchronized long systemAllocations() {
        return systemAllocations;
    }

    /** Frees every block, live or cached. Buffers still pointing at them must not be used afterwards. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        for (Block b : all) raw.free(b.ptr);
        all.clear();
        free.clear();
        liveBuffers = liveBytes = pooledBytes = 0;
    }
}
