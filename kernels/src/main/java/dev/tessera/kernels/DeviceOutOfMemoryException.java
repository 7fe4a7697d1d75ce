package dev.tessera.kernels;

/**
 * The GPU has no room for an allocation even after the caching allocator returned every cached block to the
 * driver. The message gives the request, what the device still has free, and what Tessera itself holds, and
 * suggests the usual fix.
 */
public final class DeviceOutOfMemoryException extends RuntimeException {
    public DeviceOutOfMemoryException(long requestedBytes, long freeBytes, long totalBytes, long liveBytes) {
        super(String.format("CUDA out of memory: requested %s but only %s of %s is free on the device "
                        + "(Tessera holds %s in live buffers). Try a smaller --batch (or gradient accumulation).",
                mib(requestedBytes), mib(freeBytes), mib(totalBytes), mib(liveBytes)));
    }

    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
