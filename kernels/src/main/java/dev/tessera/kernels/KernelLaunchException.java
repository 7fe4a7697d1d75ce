package dev.tessera.kernels;

/**
 * A kernel launch (or the synchronize after it in {@code -Dtessera.cuda.sync=true} mode) failed; the message
 * names the kernel and its launch geometry, e.g.
 * {@code "layernorm_forward_v2 grid (1576,1,1) block (256,1,1) shared 0 B failed: CUDA_ERROR_INVALID_VALUE (1)"}.
 */
public final class KernelLaunchException extends CudaCallException {
    public KernelLaunchException(String kernel, LaunchConfig config, int code, Throwable cause) {
        super(kernel + " " + config, code, cause);
    }
}
