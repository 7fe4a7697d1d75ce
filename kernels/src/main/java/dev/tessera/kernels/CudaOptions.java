package dev.tessera.kernels;

import dev.tessera.engine.backend.Precision;

/**
 * Switches for {@link CudaBackend}, normally read from system properties so the CLI, tests and benchmarks
 * share one spelling:
 * <ul>
 *   <li>{@code -Dtessera.cuda.cublas=auto|off} — use cuBLAS for matmul when JCublas2 loads (auto, the
 *       default) or always our own tiled SGEMM (off);</li>
 *   <li>{@code -Dtessera.cuda.tf32=true} — let cuBLAS use TF32 tensor cores (faster, ~1e-3 relative error;
 *       off by default so CPU/GPU parity holds at fp32 tolerances);</li>
 *   <li>{@code -Dtessera.cuda.sync=true} — synchronize after every kernel so an asynchronous fault names the
 *       kernel that caused it (debugging; slow).</li>
 * </ul>
 * {@code precision} is the run's {@code --precision} (fp32 unless a command gives another): tf32 and bf16 put matmul
 * and attention on the tensor-core kernels ({@link PrecisionKernels}).
 */
public record CudaOptions(boolean useCublas, boolean tf32, boolean syncAfterLaunch, Precision precision) {

    public CudaOptions {
        java.util.Objects.requireNonNull(precision, "precision");
    }

    /** fp32. */
    public CudaOptions(boolean useCublas, boolean tf32, boolean syncAfterLaunch) {
        this(useCublas, tf32, syncAfterLaunch, Precision.FP32);
    }

    public static CudaOptions defaults() {
        return new CudaOptions(true, false, false);
    }

    /** These options with {@code p} as the precision. */
    public CudaOptions withPrecision(Precision p) {
        return new CudaOptions(useCublas, tf32, syncAfterLaunch, p);
    }

    public static CudaOptions fromSystemProperties() {
        String cublas = System.getProperty("tessera.cuda.cublas", "auto").trim();
        if (!cublas.equals("auto") && !cublas.equals("off")) {
            throw new IllegalArgumentException("tessera.cuda.cublas must be auto or off, got '" + cublas + "'");
        }
        return new CudaOptions(cublas.equals("auto"), Boolean.getBoolean("tessera.cuda.tf32"),
                Boolean.getBoolean("tessera.cuda.sync"));
    }
}
