package dev.tessera.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * cuBLASLt 13 ({@code libcublasLt.so.13}) through FFM: a matmul with a fused epilogue (bias, bias+GELU, bias
 * gradient), planned by {@link LtMatmulPlan}. It is bound and checked (a GPU parity test runs a bias and a
 * bias-gradient matmul against the CPU) but the backend's matmul still uses plain cuBLAS: fusing the bias needs a
 * Backend operation "matmul with bias", which the engine does not have yet.
 *
 * <p>Each {@link #matmul} creates its descriptors, asks the heuristic for one algorithm within the workspace,
 * runs, and destroys them — simple and correct; a fused layer in a training step would cache the descriptors and
 * the algorithm per shape. The C signatures (cublasLt.h; descriptors and handles are addresses, enums ints):
 * <pre>
 *   cublasLtCreate(cublasLtHandle_t*)   cublasLtDestroy(handle)   size_t cublasLtGetVersion()
 *   cublasLtMatmulDescCreate(cublasLtMatmulDesc_t*, cublasComputeType_t, cudaDataType_t scaleType)
 *   cublasLtMatmulDescSetAttribute(desc, attr, const void* buf, size_t)       (TRANSA 3, TRANSB 4: int32;
 *                                              EPILOGUE 7: uint32; BIAS_POINTER 8: a device pointer)
 *   cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t*, cudaDataType, uint64 rows, uint64 cols, int64 ld)
 *   cublasLtMatrixLayoutSetAttribute(layout, attr, buf, size_t)   (BATCH_COUNT 5: int32; STRIDED_BATCH_OFFSET 6: int64)
 *   cublasLtMatmulPreferenceCreate(pref*)  cublasLtMatmulPreferenceSetAttribute(pref, MAX_WORKSPACE_BYTES 1: uint64)
 *   cublasLtMatmulAlgoGetHeuristic(handle, desc, A, B, C, D layouts, pref, int requested,
 *                                  cublasLtMatmulHeuristicResult_t[] (96 bytes each: algo 64, workspaceSize 8,
 *                                  state 4, wavesCount 4, reserved 16), int* returned)
 *   cublasLtMatmul(handle, desc, alpha, A, Adesc, B, Bdesc, beta, C, Cdesc, D, Ddesc, const algo*, workspace,
 *                  size_t workspaceBytes, cudaStream_t)
 * </pre>
 */
final class CublasLt13 {
    static final int DESC_TRANSA = 3, DESC_TRANSB = 4, DESC_EPILOGUE = 7, DESC_BIAS_POINTER = 8;
    static final int LAYOUT_BATCH_COUNT = 5, LAYOUT_STRIDED_BATCH_OFFSET = 6;
    static final int PREF_MAX_WORKSPACE_BYTES = 1;
    static final long HEURISTIC_RESULT_BYTES = 96;

    private final long version;
    private final MethodHandle create, destroy, descCreate, descDestroy, descSet, layoutCreate, layoutDestroy, layoutSet,
            prefCreate, prefDestroy, prefSet, heuristic, matmul;

    private CublasLt13(SymbolLookup lib) {
        create = Cublas13.bind(lib, "cublasLtCreate", JAVA_INT, ADDRESS);
        destroy = Cublas13.bind(lib, "cublasLtDestroy", JAVA_INT, ADDRESS);
        descCreate = Cublas13.bind(lib, "cublasLtMatmulDescCreate", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        descDestroy = Cublas13.bind(lib, "cublasLtMatmulDescDestroy", JAVA_INT, ADDRESS);
        descSet = Cublas13.bind(lib, "cublasLtMatmulDescSetAttribute", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG);
        layoutCreate = Cublas13.bind(lib, "cublasLtMatrixLayoutCreate", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG);
        layoutDestroy = Cublas13.bind(lib, "cublasLtMatrixLayoutDestroy", JAVA_INT, ADDRESS);
        layoutSet = Cublas13.bind(lib, "cublasLtMatrixLayoutSetAttribute", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG);
        prefCreate = Cublas13.bind(lib, "cublasLtMatmulPreferenceCreate", JAVA_INT, ADDRESS);
        prefDestroy = Cublas13.bind(lib, "cublasLtMatmulPreferenceDestroy", JAVA_INT, ADDRESS);
        prefSet = Cublas13.bind(lib, "cublasLtMatmulPreferenceSetAttribute", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG);
        heuristic = Cublas13.bind(lib, "cublasLtMatmulAlgoGetHeuristic", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        matmul = Cublas13.bind(lib, "cublasLtMatmul", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        MethodHandle getVersion = Cublas13.bind(lib, "cublasLtGetVersion", JAVA_LONG);
        try {
            version = (long) getVersion.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("cublasLtGetVersion: " + t, t);
        }
    }

    static CublasLt13 load(SymbolLookup lib) {
        return new CublasLt13(lib);
    }

    /** cublasLtGetVersion(): e.g. 130002 for 13.0.2. */
    long version() {
        return version;
    }

    MemorySegment create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            Cublas13.call("cublasLtCreate", () -> (int) create.invokeExact(out));
            return out.get(ADDRESS, 0);
        }
    }

    void destroy(MemorySegment handle) {
        Cublas13.call("cublasLtDestroy", () -> (int) destroy.invokeExact(handle));
    }

    /**
     * Runs {@code plan} on the device addresses {@code a}, {@code b}, {@code c} (cuBLAS's slots: A is Tessera's B) with
     * {@code vector} the bias (read) or bias gradient (written), on {@code stream}, using at most {@code workspaceBytes}
     * at {@code workspace}. {@code t} gives the element and compute types. D is written over C (same buffer).
     */
    void matmul(MemorySegment handle, LtMatmulPlan plan, GemmMapping.Types t, float alpha, long a, long b, float beta,
                long c, long vector, long workspace, long workspaceBytes, long stream) {
        try (Arena arena = Arena.ofConfined(); Descriptors d = new Descriptors(arena)) {
            GemmMapping g = plan.gemm();
            MemorySegment desc = d.desc(t.computeType(), GemmMapping.Types.CUDA_R_32F);   // alpha and beta are floats
            setInt(desc, DESC_TRANSA, g.transA(), arena);
            setInt(desc, DESC_TRANSB, g.transB(), arena);
            setInt(desc, DESC_EPILOGUE, plan.epilogue().code, arena);
            if (plan.epilogue() != LtMatmulPlan.Epilogue.DEFAULT) {
                MemorySegment p = arena.allocate(JAVA_LONG);
                p.set(JAVA_LONG, 0, vector);
                Cublas13.call("cublasLtMatmulDescSetAttribute(BIAS_POINTER)",
                        () -> (int) descSet.invokeExact(desc, DESC_BIAS_POINTER, p, 8L));
            }
            MemorySegment la = d.layout(t.aType(), plan.a(), g.batch());
            MemorySegment lb = d.layout(t.bType(), plan.b(), g.batch());
            MemorySegment ld = d.layout(t.cType(), plan.d(), g.batch());
            MemorySegment pref = d.preference(workspaceBytes);
            MemorySegment results = arena.allocate(HEURISTIC_RESULT_BYTES, 8);
            MemorySegment returned = arena.allocate(JAVA_INT);
            Cublas13.call("cublasLtMatmulAlgoGetHeuristic", () -> (int) heuristic.invokeExact(handle, desc, la, lb, ld, ld,
                    pref, 1, results, returned));
            if (returned.get(JAVA_INT, 0) < 1) {
                throw new IllegalStateException("cublasLtMatmulAlgoGetHeuristic: no algorithm for " + plan);
            }
            MemorySegment pAlpha = arena.allocate(JAVA_INT), pBeta = arena.allocate(JAVA_INT);
            pAlpha.set(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, alpha);
            pBeta.set(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, beta);
            MemorySegment pc = MemorySegment.ofAddress(c);
            Cublas13.call("cublasLtMatmul", () -> (int) matmul.invokeExact(handle, desc, pAlpha, MemorySegment.ofAddress(a), la,
                    MemorySegment.ofAddress(b), lb, pBeta, pc, ld, pc, ld, results, MemorySegment.ofAddress(workspace),
                    workspaceBytes, MemorySegment.ofAddress(stream)));
        }
    }

    private void setInt(MemorySegment desc, int attr, int value, Arena arena) {
        MemorySegment v = arena.allocate(JAVA_INT);
        v.set(JAVA_INT, 0, value);
        Cublas13.call(() -> "cublasLtMatmulDescSetAttribute(" + attr + ")", () -> (int) descSet.invokeExact(desc, attr, v, 4L));
    }

    /** The descriptors of one matmul, destroyed together (each independently) when it is done. */
    private final class Descriptors implements AutoCloseable {
        private final Arena arena;
        private final ResourceStack created = new ResourceStack();

        Descriptors(Arena arena) {
            this.arena = arena;
        }

        MemorySegment desc(int computeType, int scaleType) {
            MemorySegment out = arena.allocate(ADDRESS);
            Cublas13.call("cublasLtMatmulDescCreate", () -> (int) descCreate.invokeExact(out, computeType, scaleType));
            MemorySegment d = out.get(ADDRESS, 0);
            created.push("cuBLASLt matmul descriptor", () -> Cublas13.call("cublasLtMatmulDescDestroy",
                    () -> (int) descDestroy.invokeExact(d)));
            return d;
        }

        MemorySegment layout(int type, LtMatmulPlan.Layout l, int batch) {
            MemorySegment out = arena.allocate(ADDRESS);
            Cublas13.call("cublasLtMatrixLayoutCreate", () -> (int) layoutCreate.invokeExact(out, type, l.rows(), l.cols(), l.ld()));
            MemorySegment m = out.get(ADDRESS, 0);
            created.push("cuBLASLt layout", () -> Cublas13.call("cublasLtMatrixLayoutDestroy", () -> (int) layoutDestroy.invokeExact(m)));
            if (batch > 1) {
                MemorySegment count = arena.allocate(JAVA_INT);
                count.set(JAVA_INT, 0, batch);
                Cublas13.call("cublasLtMatrixLayoutSetAttribute(BATCH_COUNT)",
                        () -> (int) layoutSet.invokeExact(m, LAYOUT_BATCH_COUNT, count, 4L));
                MemorySegment stride = arena.allocate(JAVA_LONG);
                stride.set(JAVA_LONG, 0, l.batchStride());
                Cublas13.call("cublasLtMatrixLayoutSetAttribute(STRIDED_BATCH_OFFSET)",
                        () -> (int) layoutSet.invokeExact(m, LAYOUT_STRIDED_BATCH_OFFSET, stride, 8L));
            }
            return m;
        }

        MemorySegment preference(long workspaceBytes) {
            MemorySegment out = arena.allocate(ADDRESS);
            Cublas13.call("cublasLtMatmulPreferenceCreate", () -> (int) prefCreate.invokeExact(out));
            MemorySegment p = out.get(ADDRESS, 0);
            created.push("cuBLASLt preference", () -> Cublas13.call("cublasLtMatmulPreferenceDestroy",
                    () -> (int) prefDestroy.invokeExact(p)));
            MemorySegment ws = arena.allocate(JAVA_LONG);
            ws.set(JAVA_LONG, 0, workspaceBytes);
            Cublas13.call("cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)",
                    () -> (int) prefSet.invokeExact(p, PREF_MAX_WORKSPACE_BYTES, ws, 8L));
            return p;
        }

        @Override
        public void close() {
            created.close();
        }
    }
}
