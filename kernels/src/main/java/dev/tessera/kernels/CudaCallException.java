package dev.tessera.kernels;

import jcuda.CudaException;
import jcuda.driver.CUresult;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * A CUDA driver call failed. The message names the call and its arguments that matter
 * ({@code "cuMemAlloc(268435456 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2)"}), because JCuda's own
 * {@link CudaException} carries only the error name and a stack trace into JNI.
 *
 * <p>Asynchronous faults (an illegal address in a kernel) surface at the next call that waits on the stream,
 * often a download; run with {@code -Dtessera.cuda.sync=true} to synchronize after every launch and blame the
 * right kernel.
 */
public class CudaCallException extends RuntimeException {
    private final int code;

    public CudaCallException(String call, int code, Throwable cause) {
        super(call + " failed: " + CUresult.stringFor(code) + " (" + code + ")", cause);
        this.code = code;
    }

    /** The CUresult code (or -1 when it could not be recovered from a JCuda exception). */
    public int code() {
        return code;
    }

    public boolean isOutOfMemory() {
        return code == CUresult.CUDA_ERROR_OUT_OF_MEMORY;
    }

    /**
     * A "sticky" error: a kernel faulted (illegal address, misaligned access, illegal instruction, trap, launch
     * failure), and the CUDA documentation says the context is then unusable — every later call in it returns
     * the same error until the context is destroyed or, for a primary context, reset
     * ({@link CudaContext#close} does that, so the next backend in the process starts clean).
     */
    public boolean isSticky() {
        return isSticky(code);
    }

    static boolean isSticky(int code) {
        return switch (code) {
            case CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, CUresult.CUDA_ERROR_LAUNCH_TIMEOUT, CUresult.CUDA_ERROR_ASSERT,
                 CUresult.CUDA_ERROR_HARDWARE_STACK_ERROR, CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION,
                 CUresult.CUDA_ERROR_MISALIGNED_ADDRESS, CUresult.CUDA_ERROR_INVALID_ADDRESS_SPACE,
                 CUresult.CUDA_ERROR_INVALID_PC, CUresult.CUDA_ERROR_LAUNCH_FAILED -> true;
            default -> false;
        };
    }

    /**
     * Runs one driver call and translates failure. JCuda runs with exceptions enabled
     * ({@link CudaContext}), so a failing call throws {@link CudaException} whose message is the error name;
     * this maps it back to the code. A non-zero return (exceptions disabled) is handled the same way.
     */
    public static void check(String call, IntSupplier f) {
        int r;
        try {
            r = f.getAsInt();
        } catch (CudaException e) {
            throw new CudaCallException(call, codeOf(e), e);
        }
        if (r != CUresult.CUDA_SUCCESS) throw new CudaCallException(call, r, null);
    }

    private static Map<String, Integer> codes;

    /** Recovers the CUresult from JCuda's message, which is {@code CUresult.stringFor(code)}. */
    static synchronized int codeOf(CudaException e) {
        if (codes == null) {
            codes = new HashMap<>();
            for (int c = 0; c < 1000; c++) codes.putIfAbsent(CUresult.stringFor(c), c);
        }
        String m = e.getMessage() == null ? "" : e.getMessage().trim();
        return codes.getOrDefault(m, -1);
    }
}
