package dev.tessera.kernels;

import dev.tessera.engine.backend.Buffer;

/**
 * What every launcher needs besides its own kernels: the module to launch through, the allocator for
 * scratch space, the backend that owns valid buffers, and the GPU's SM count for launch heuristics.
 * It also holds the argument checks: a CPU reference fails with an ArrayIndexOutOfBoundsException when a
 * buffer is too short, a kernel would silently read or write past it, so launchers check sizes first.
 */
final class LaunchContext {
    final KernelLauncher module;
    final DeviceAllocator allocator;
    final Object owner;
    final int multiprocessors;

    LaunchContext(KernelLauncher module, DeviceAllocator allocator, Object owner, int multiprocessors) {
        this.module = module;
        this.allocator = allocator;
        this.owner = owner;
        this.multiprocessors = multiprocessors;
    }

    /** A float buffer of this backend holding at least {@code elements}; null stays null. */
    CudaBuffer floats(Buffer b, long elements, String what) {
        CudaBuffer c = CudaBuffer.cast(b, owner, false, what);
        if (c != null) need(c, elements, what);
        return c;
    }

    /** An int32 buffer of this backend holding at least {@code elements}. */
    CudaBuffer ints(Buffer b, long elements, String what) {
        CudaBuffer c = CudaBuffer.cast(b, owner, true, what);
        if (c != null) need(c, elements, what);
        return c;
    }

    /** A float buffer that must not be null. */
    CudaBuffer required(Buffer b, long elements, String what) {
        if (b == null) throw new IllegalArgumentException(what + " must not be null");
        return floats(b, elements, what);
    }

    static void need(Buffer b, long elements, String what) {
        if (b.length() < elements) {
            throw new IllegalArgumentException(what + ": needs " + elements + " elements, buffer has " + b.length());
        }
    }

    /**
     * Scratch space of {@code elements} floats. The caller releases it right after queueing the kernels that
     * use it: the block may be handed out again at once, which is safe because everything runs on one stream.
     */
    CudaBuffer scratch(long elements) {
        if (elements > Integer.MAX_VALUE) throw new IllegalArgumentException("scratch of " + elements + " floats");
        DeviceAllocator.Allocation a = allocator.allocate(4L * Math.max(1, elements));
        return new CudaBuffer(a, owner, 0, (int) elements, false);
    }

    void release(CudaBuffer scratch) {
        allocator.release(scratch.allocation());
    }
}
