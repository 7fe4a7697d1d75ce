package dev.tessera.kernels;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import jcuda.CudaException;
import jcuda.driver.CUdevice;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Answers "can Tessera use CUDA device N here, and if not, why not?" without ever throwing.
 *
 * <p>It walks the chain a CUDA start needs and stops at the first missing link, naming it:
 * JCuda's JNI library must load (it needs the driver's {@code libcuda.so.1}: without a driver the first touch
 * of {@code JCudaDriver} throws {@link UnsatisfiedLinkError}, and every later touch
 * {@link NoClassDefFoundError}); {@code cuInit} must find a device; the device must be compute capability 8.0+
 * (the fatbin has SASS for sm_80/86/89/90 and PTX for compute_90); and the fatbin must be on the class path.
 * It also reports, without failing, which GEMM a backend would use: cuBLAS 13 through FFM when
 * {@code libcublas.so.13} is found ({@link CudaLibraryLocator}), else cuBLAS 12 through JCublas2 when
 * {@code libcublas.so.12} loads, else our own tiled SGEMM — with the reason for each one skipped.
 *
 * <p>The answer is cached per device for the life of the JVM: a failed native load cannot be retried anyway.
 * GPU tests call it in an assumption and print the reason when they skip.
 */
public final class CudaProbe {
    private CudaProbe() {}

    /** The oldest GPU generation the fatbin has machine code for (sm_80, Ampere). */
    static final int MIN_CC_MAJOR = 8;

    private static final Map<Integer, CudaStatus> CACHE = new HashMap<>();

    /** Status of device 0. */
    public static CudaStatus probe() {
        return probe(0);
    }

    public static synchronized CudaStatus probe(int device) {
        return CACHE.computeIfAbsent(device, CudaProbe::probeUncached);
    }

    private static CudaStatus probeUncached(int device) {
        try {
            return probeDevice(device);
        } catch (Throwable t) {  // the contract: nothing escapes, whatever JNI does
            return CudaStatus.unavailable(device, "CUDA probe failed: " + oneLine(t));
        }
    }

    private static CudaStatus probeDevice(int device) {
        int r;
        try {
            r = call(() -> JCudaDriver.cuInit(0));  // the first touch loads JCuda's JNI library
        } catch (LinkageError e) {
            return CudaStatus.unavailable(device, driverLoadProblem(e));
        }
        if (r == CUresult.CUDA_ERROR_NO_DEVICE) return CudaStatus.unavailable(device, "no CUDA device (cuInit: no device)");
        if (r != CUresult.CUDA_SUCCESS) {
            return CudaStatus.unavailable(device, "no usable CUDA driver (cuInit: " + CUresult.stringFor(r) + ")");
        }
        int[] count = {0};
        r = call(() -> JCudaDriver.cuDeviceGetCount(count));
        if (r != CUresult.CUDA_SUCCESS || count[0] == 0) return CudaStatus.unavailable(device, "no CUDA device");
        if (device < 0 || device >= count[0]) {
            return CudaStatus.unavailable(device, "no CUDA device " + device + " (this machine has " + count[0] + ")");
        }

        CUdevice dev = new CUdevice();
        r = call(() -> JCudaDriver.cuDeviceGet(dev, device));
        if (r != CUresult.CUDA_SUCCESS) return CudaStatus.unavailable(device, "cuDeviceGet: " + CUresult.stringFor(r));
        byte[] nameBytes = new byte[256];
        call(() -> JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, dev));
        String name = cString(nameBytes);
        long[] mem = {0};
        call(() -> JCudaDriver.cuDeviceTotalMem(mem, dev));
        int major = attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        int sms = attribute(dev, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        int[] driver = {0};
        call(() -> JCudaDriver.cuDriverGetVersion(driver));

        boolean built = KernelModule.fatbinPresent();
        String gemm = expectedGemm(CudaLibraryLocator.system());
        boolean cublas = gemm.startsWith("cuBLAS");

        String reason = null;
        if (major < MIN_CC_MAJOR) {
            reason = "GPU " + name + " has compute capability " + major + "." + minor
                    + "; the kernels are built for 8.0+ (sm_80, sm_86, sm_89, sm_90, PTX compute_90)";
        } else if (!built) {
            reason = "kernels not built (" + KernelModule.FATBIN_NAME + " is not on the class path: build the "
                    + "kernels module on a machine with nvcc, without -Dtessera.skipNvcc)";
        }
        return new CudaStatus(reason == null, reason, device, name, mem[0], major, minor, sms, driver[0], built,
                cublas, gemm);
    }

    /**
     * Which GEMM a backend started now would use, from what is installed: cuBLAS 13 is loaded (no handle is created,
     * so it needs no device) to learn its version and that it loads at all; a handle can still fail at start, and
     * the backend then says so.
     */
    static String expectedGemm(CudaLibraryLocator locator) {
        String cublas13;
        try {
            Cublas13 lib = locator.locate(Cublas13::load).library();
            return "cuBLAS " + lib.version() + " via FFM (" + lib.found().describe() + ")";
        } catch (RuntimeException | LinkageError e) {
            cublas13 = CudaProbe.oneLine(e);
        }
        String jcublas = JCublas2Gemm.libraryProblem();
        if (jcublas == null) return "cuBLAS 12 via JCublas2 (libcublas.so.12; cuBLAS 13: " + cublas13 + ")";
        return "own kernels (gemm.cu): cuBLAS 13: " + cublas13 + "; cuBLAS 12: " + jcublas;
    }

    /** The reason, in one line, why JCuda's driver binding did not load. */
    static String driverLoadProblem(LinkageError e) {
        String all = chain(e);
        if (e instanceof UnsatisfiedLinkError) {
            if (all.contains("libcuda.so")) return "no CUDA driver (libcuda.so.1 not found)";
            return "JCuda native library failed to load: " + oneLine(e);
        }
        if (e instanceof NoClassDefFoundError) {
            if (all.contains("JCudaDriver")) {
                return "no CUDA driver (JCuda's driver binding failed to initialise earlier in this JVM)";
            }
            return "JCuda is not on the class path (" + oneLine(e) + ")";
        }
        return "JCuda native library failed to load: " + oneLine(e);
    }

    /** All messages of a throwable and its causes, for matching. */
    private static String chain(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null && sb.length() < 10_000; c = c.getCause()) sb.append(c.getMessage()).append('\n');
        return sb.toString();
    }

    private static int attribute(CUdevice dev, int attr) {
        int[] v = {0};
        call(() -> JCudaDriver.cuDeviceGetAttribute(v, attr, dev));
        return v[0];
    }

    /** Runs a driver call and returns its code, whether exceptions are enabled or not. */
    private static int call(java.util.function.IntSupplier f) {
        try {
            return f.getAsInt();
        } catch (CudaException e) {
            int c = CudaCallException.codeOf(e);
            return c < 0 ? CUresult.CUDA_ERROR_UNKNOWN : c;
        }
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8).trim();
    }

    /** The first line of a throwable's message, with its cause's if the message is empty. */
    static String oneLine(Throwable t) {
        String m = t.getMessage();
        if ((m == null || m.isBlank()) && t.getCause() != null) m = t.getCause().getMessage();
        if (m == null || m.isBlank()) m = t.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        return nl < 0 ? m.trim() : m.substring(0, nl).trim();
    }
}
