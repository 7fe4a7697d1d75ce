package dev.tessera.engine.backend;

/**
 * What a backend's allocator holds right now.
 *
 * @param liveBuffers     allocations handed out and not yet released
 * @param liveBytes       their total size
 * @param pooledBytes     released allocations kept for reuse (the caching allocator)
 * @param systemAllocations how many times the backend asked the system (Java heap / cuMemAlloc) for memory;
 *                        flat in steady state when every step's buffers come back to the pool
 */
public record MemoryStats(long liveBuffers, long liveBytes, long pooledBytes, long systemAllocations) {}
