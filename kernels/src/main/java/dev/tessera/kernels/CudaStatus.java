package dev.tessera.kernels;

/**
 * What {@link CudaProbe} found out about one CUDA device, without starting a backend.
 *
 * @param available        true when {@code new CudaBackend(device)} can start
 * @param reason           one line saying why not (null when available), e.g. "no CUDA device"
 * @param device           the device ordinal probed
 * @param deviceName       e.g. "NVIDIA H100 80GB HBM3" (null when no device was reached)
 * @param totalMemoryBytes device memory
 * @param ccMajor          compute capability, major (9 for Hopper)
 * @param ccMinor          compute capability, minor
 * @param multiprocessors  SM count (launch heuristics size grids by it)
 * @param driverVersion    CUDA driver API version as the driver reports it, e.g. 13000 for 13.0
 * @param kernelsBuilt     whether tessera_kernels.fatbin is on the class path
 * @param cublas           whether a cuBLAS was found (13 through FFM, or 12 through JCublas2); else our own GEMM runs
 * @param gemm             one line: which GEMM the backend will use and why
 */
public record CudaStatus(boolean available, String reason, int device, String deviceName, long totalMemoryBytes,
                         int ccMajor, int ccMinor, int multiprocessors, int driverVersion, boolean kernelsBuilt,
                         boolean cublas, String gemm) {

    static CudaStatus unavailable(int device, String reason) {
        return new CudaStatus(false, reason, device, null, 0, 0, 0, 0, 0, KernelModule.fatbinPresent(), false, null);
    }

    /** "9.0" */
    public String computeCapability() {
        return ccMajor + "." + ccMinor;
    }

    /** "13.0" */
    public String driverVersionString() {
        return driverVersion / 1000 + "." + (driverVersion % 1000) / 10;
    }

    /** What each --precision would run on this GPU (fp32 with {@link #gemm}), for {@code tessera info}. */
    public String precisions() {
        return PrecisionKernels.plan(this, gemm);
    }

    /** One line for logs and {@code tessera info}. */
    public String describe() {
        if (!available) {
            return "CUDA unavailable: " + reason;
        }
        return String.format("cuda:%d %s (%.1f GiB, compute %s, %d SMs, driver CUDA %s); GEMM: %s", device,
                deviceName, totalMemoryBytes / (1024.0 * 1024 * 1024), computeCapability(), multiprocessors,
                driverVersionString(), gemm);
    }
}
