package dev.tessera.kernels;

/**
 * The CUDA backend cannot start on this machine: no driver, no device, a GPU older than the kernels, or a
 * build without the fatbin. The message is the one-line reason from {@link CudaProbe} (for example
 * {@code "no CUDA driver (libcuda.so.1 not found)"}), so a user who asked for CUDA learns what is missing
 * instead of getting a native-library stack trace.
 */
public final class CudaUnavailableException extends RuntimeException {
    public CudaUnavailableException(String reason) {
        super("CUDA backend unavailable: " + reason);
    }
}
