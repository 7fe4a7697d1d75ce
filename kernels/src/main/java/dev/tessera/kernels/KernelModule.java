package dev.tessera.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;

/**
 * The kernels: {@code tessera_kernels.fatbin} (all of src/main/cuda compiled by nvcc into one file, packaged
 * at {@value #RESOURCE}) loaded into the context with {@code cuModuleLoadData}, its functions looked up once
 * by name and cached, and one {@link #launch} that every launcher goes through.
 *
 * <p>Why a fatbin and not PTX + NVRTC: JNvrtc 12.6 needs libnvrtc.so.12, which CUDA 13 machines lack, and
 * a fatbin with SASS for the GPU loads without any JIT. Loading fails with a precise message when the fatbin
 * has no code for this GPU, or when the driver is older than the nvcc 13 that built it.
 *
 * <p>{@link #launch} names the kernel and geometry on failure. Launches are asynchronous, so a fault inside a
 * kernel shows up at a later call; {@code -Dtessera.cuda.sync=true} synchronizes after every launch so the
 * error names the kernel that caused it (slow; for debugging).
 */
final class KernelModule implements KernelLauncher, AutoCloseable {
    static final String FATBIN_NAME = "tessera_kernels.fatbin";
    static final String RESOURCE = "/dev/tessera/kernels/" + FATBIN_NAME;

    private final CudaContext ctx;
    private final CudaDriver driver;
    private final boolean syncAfterLaunch;
    private final CUmodule module;
    private final Map<String, CUfunction> functions = new HashMap<>();
    /** Per kernel, the dynamic shared memory it has been allowed so far (set only above 48 KiB). */
    private final Map<String, Integer> sharedAllowed = new HashMap<>();
    private boolean closed;

    /** The SASS targets the fatbin was built for, from the stamp build-fatbin.sh writes beside it ("80,86,89,90"). */
    static String builtArchs() {
        try (InputStream in = KernelModule.class.getResourceAsStream("/dev/tessera/kernels/tessera_kernels.archs")) {
            if (in == null) return "unknown";
            String s = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            return s.isEmpty() ? "unknown" : s.split("\\s+")[0];
        } catch (IOException e) {
            return "unknown";
        }
    }

    static boolean fatbinPresent() {
        return KernelModule.class.getResource(RESOURCE) != null;
    }

    static byte[] readFatbin() {
        try (InputStream in = KernelModule.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new CudaUnavailableException("kernels not built (" + FATBIN_NAME + " is not on the class path)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOURCE, e);
        }
    }

    KernelModule(CudaContext ctx, boolean syncAfterLaunch) {
        this.ctx = ctx;
        this.driver = ctx.driver();
        this.syncAfterLaunch = syncAfterLaunch;
        ctx.makeCurrent();
        try {
            module = driver.loadModule(KernelModule::readFatbin);
        } catch (CudaCallException e) {
            CudaStatus s = ctx.status();
            String why = switch (e.code()) {
                case CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU -> "the fatbin has no code for compute capability "
                        + s.computeCapability() + " (it was built for sm " + builtArchs()
                        + " plus PTX of the highest; rebuild with -Dtessera.cudaArchs including this GPU)";
                case CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION -> "the driver (CUDA " + s.driverVersionString()
                        + ") is older than the nvcc 13 that built the kernels; install an R580+ driver";
                default -> "the fatbin could not be loaded";
            };
            throw new CudaCallException("cuModuleLoadData(" + FATBIN_NAME + "): " + why, e.code(), e);
        }
    }

    /** The kernel called {@code name} (an extern "C" entry point), looked up once. */
    CUfunction function(String name) {
        CUfunction f = functions.get(name);
        if (f == null) {
            try {
                f = driver.function(module, name);
            } catch (CudaCallException e) {
                throw new IllegalStateException("kernel '" + name + "' is not in " + FATBIN_NAME
                        + " (a stale build? rebuild the kernels module)", e);
            }
            functions.put(name, f);
        }
        return f;
    }

    /** Queues kernel {@code name} on the context's stream; an empty grid is skipped. */
    @Override
    public void launch(String name, LaunchConfig c, KernelArgs args) {
        if (c.isEmpty()) return;
        CUfunction f = function(name);
        try {
            if (c.needsSharedOptIn() && sharedAllowed.getOrDefault(name, LaunchConfig.DEFAULT_SHARED_LIMIT) < c.sharedBytes()) {
                driver.allowSharedMemory(name, f, c.sharedBytes());
                sharedAllowed.put(name, c.sharedBytes());
            }
            driver.launch(name, f, c, ctx.stream(), args);
            if (syncAfterLaunch) driver.synchronize(ctx.stream());
        } catch (CudaCallException e) {
            if (e.isSticky()) ctx.poison();
            throw new KernelLaunchException(name + (syncAfterLaunch ? " (or the synchronize after it)" : ""), c, e.code(), e);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ctx.makeCurrent();
        driver.unloadModule(module);
    }
}
