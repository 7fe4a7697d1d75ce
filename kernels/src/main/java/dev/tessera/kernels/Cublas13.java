package dev.tessera.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * cuBLAS 13 ({@code libcublas.so.13}) through Java's Foreign Function &amp; Memory API: the handful of entry points
 * Tessera calls, bound once as downcall handles. No JNI library of ours is involved — the reason this exists:
 * JCublas2 12.6's JNI library asks for {@code libcublas.so.12} symbols, which a CUDA 13 machine does not have, and
 * shipping a compiled shim would grow the carried distribution. The files come from {@link CudaLibraryLocator}.
 *
 * <p>The C signatures (cublas_api.h, CUDA 12/13; every handle and device pointer is a plain address, every enum
 * an int, size_t and long long are 64-bit on Linux x86-64):
 * <pre>
 *   cublasStatus_t cublasCreate_v2(cublasHandle_t*)            cublasDestroy_v2(cublasHandle_t)
 *   cublasSetStream_v2(handle, cudaStream_t)                   cublasSetWorkspace_v2(handle, void*, size_t)
 *   cublasGetProperty(libraryPropertyType, int*)               (no device needed: the version)
 *   cublasGemmEx(handle, transa, transb, m, n, k, const void* alpha, const void* A, cudaDataType Atype, int lda,
 *                const void* B, Btype, ldb, const void* beta, void* C, Ctype, ldc, cublasComputeType_t, cublasGemmAlgo_t)
 *   cublasGemmStridedBatchedEx(… A, Atype, lda, long long strideA, B, Btype, ldb, long long strideB, beta,
 *                C, Ctype, ldc, long long strideC, int batchCount, computeType, algo)
 * </pre>
 * A driver-API stream (CUstream) and a runtime-API stream (cudaStream_t) are the same object, so the backend's
 * JCuda stream is passed by its address ({@link NativeAddress}).
 */
final class Cublas13 {
    private static final Linker LINKER = Linker.nativeLinker();
    static final int CUBLAS_GEMM_DEFAULT = -1;

    private final CudaLibraryLocator.Found found;
    private final String version;
    private final CublasLt13 lt;
    private final MethodHandle create, destroy, setStream, setWorkspace, gemmEx, gemmStridedBatchedEx;

    private Cublas13(CudaLibraryLocator.Found found, SymbolLookup lib, CublasLt13 lt) {
        this.found = found;
        this.lt = lt;
        create = bind(lib, "cublasCreate_v2", JAVA_INT, ADDRESS);
        destroy = bind(lib, "cublasDestroy_v2", JAVA_INT, ADDRESS);
        setStream = bind(lib, "cublasSetStream_v2", JAVA_INT, ADDRESS, ADDRESS);
        setWorkspace = bind(lib, "cublasSetWorkspace_v2", JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG);
        gemmEx = bind(lib, "cublasGemmEx", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
                ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
        gemmStridedBatchedEx = bind(lib, "cublasGemmStridedBatchedEx", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT);
        MethodHandle property = bind(lib, "cublasGetProperty", JAVA_INT, JAVA_INT, ADDRESS);
        version = property(property, 0) + "." + property(property, 1) + "." + property(property, 2);
    }

    /**
     * Opens the libraries {@code found} names (cuBLASLt first, so libcublas's dependency on it resolves to the same
     * file even when its folder is not on the loader's path) and binds every entry point. They stay loaded for the
     * life of the JVM. Throws IllegalStateException naming the file or symbol that is missing.
     */
    static Cublas13 load(CudaLibraryLocator.Found found) {
        Arena forever = Arena.global();
        CublasLt13 lt = null;
        if (found.companion() != null) lt = CublasLt13.load(SymbolLookup.libraryLookup(found.companion(), forever));
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(found.library(), forever);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("cannot load " + found.library() + ": " + CudaProbe.oneLine(e), e);
        }
        return new Cublas13(found, lib, lt);
    }

    static MethodHandle bind(SymbolLookup lib, String symbol, java.lang.foreign.MemoryLayout result,
                             java.lang.foreign.MemoryLayout... args) {
        MemorySegment f = lib.find(symbol).orElseThrow(() -> new IllegalStateException("symbol " + symbol + " not found"));
        return LINKER.downcallHandle(f, FunctionDescriptor.of(result, args));
    }

    /** "13.0.2" (cublasGetProperty: MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL). */
    String version() {
        return version;
    }

    CudaLibraryLocator.Found found() {
        return found;
    }

    /** The cuBLASLt binding, or null when libcublasLt.so.13 was not beside libcublas.so.13. */
    CublasLt13 lt() {
        return lt;
    }

    private static int property(MethodHandle h, int which) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("cublasGetProperty", (int) h.invokeExact(which, v));
            return v.get(JAVA_INT, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cublasGetProperty: " + t, t);
        }
    }

    /** cublasCreate: a handle on the current context (the backend's primary context). */
    MemorySegment create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check("cublasCreate", (int) create.invokeExact(out));
            return out.get(ADDRESS, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cublasCreate: " + t, t);
        }
    }

    void destroy(MemorySegment handle) {
        call("cublasDestroy", () -> (int) destroy.invokeExact(handle));
    }

    void setStream(MemorySegment handle, long stream) {
        call("cublasSetStream", () -> (int) setStream.invokeExact(handle, MemorySegment.ofAddress(stream)));
    }

    void setWorkspace(MemorySegment handle, long workspace, long bytes) {
        call("cublasSetWorkspace(" + bytes + " bytes)",
                () -> (int) setWorkspace.invokeExact(handle, MemorySegment.ofAddress(workspace), bytes));
    }

    /**
     * One mapped GEMM: cublasGemmEx when {@code g.batch() == 1}, else cublasGemmStridedBatchedEx. {@code a}, {@code b},
     * {@code c} are the device addresses of cuBLAS's A, B, C slots (see {@link GemmMapping}: A is Tessera's B);
     * {@code alpha} and {@code beta} point at host floats.
     */
    void gemm(MemorySegment handle, GemmMapping g, GemmMapping.Types t, MemorySegment alpha, long a, long b,
              MemorySegment beta, long c) {
        MemorySegment pa = MemorySegment.ofAddress(a), pb = MemorySegment.ofAddress(b), pc = MemorySegment.ofAddress(c);
        if (g.batch() == 1) {
            call(() -> "cublasGemmEx(m=" + g.m() + ", n=" + g.n() + ", k=" + g.k() + ")", () -> (int) gemmEx.invokeExact(handle,
                    g.transA(), g.transB(), g.m(), g.n(), g.k(), alpha, pa, t.aType(), g.lda(), pb, t.bType(), g.ldb(), beta,
                    pc, t.cType(), g.ldc(), t.computeType(), CUBLAS_GEMM_DEFAULT));
        } else {
            call(() -> "cublasGemmStridedBatchedEx(batch=" + g.batch() + ", m=" + g.m() + ", n=" + g.n() + ", k=" + g.k() + ")",
                    () -> (int) gemmStridedBatchedEx.invokeExact(handle, g.transA(), g.transB(), g.m(), g.n(), g.k(), alpha,
                            pa, t.aType(), g.lda(), g.strideA(), pb, t.bType(), g.ldb(), g.strideB(), beta, pc, t.cType(),
                            g.ldc(), g.strideC(), g.batch(), t.computeType(), CUBLAS_GEMM_DEFAULT));
        }
    }

    /** A downcall returning a cublasStatus_t. */
    @FunctionalInterface
    interface StatusCall {
        int invoke() throws Throwable;
    }

    static void call(String what, StatusCall c) {
        call(() -> what, c);
    }

    /** Runs {@code c}; the message is built only when it fails (GEMMs are called hundreds of times a step). */
    static void call(java.util.function.Supplier<String> what, StatusCall c) {
        int status;
        try {
            status = c.invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(what.get() + ": " + t, t);
        }
        if (status != 0) check(what.get(), status);
    }

    static void check(String what, int status) {
        if (status != 0) throw new IllegalStateException(what + " failed: " + statusName(status) + " (" + status + ")");
    }

    /** cublasStatus_t names (cublas_api.h). */
    static String statusName(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cublasStatus " + status;
        };
    }
}
