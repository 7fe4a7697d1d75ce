package dev.tessera.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * NCCL 2 ({@code libnccl.so.2}, found at run time by {@link CudaLibraryLocator}: {@code TESSERA_NCCL}, then
 * LD_LIBRARY_PATH, the CUDA folders and python3's {@code nvidia/nccl/lib}) through Java's FFM API, as
 * {@link Cublas13} binds cuBLAS: no JNI library. The signatures are listed on {@link NcclCalls}; the unique id is a
 * 128-byte struct passed by value, which the Linker lays out as the C ABI does (in memory, for x86-64 SysV).
 */
final class Nccl implements NcclCalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout UNIQUE_ID = MemoryLayout.structLayout(MemoryLayout.sequenceLayout(UNIQUE_ID_BYTES, JAVA_BYTE));

    private final CudaLibraryLocator.Found found;
    private final MethodHandle getUniqueId, commInitRank, allReduce, broadcast, commAbort, commDestroy, errorString, getVersion;

    private Nccl(CudaLibraryLocator.Found found, SymbolLookup lib) {
        this.found = found;
        getUniqueId = bind(lib, "ncclGetUniqueId", ADDRESS);
        commInitRank = bind(lib, "ncclCommInitRank", ADDRESS, JAVA_INT, UNIQUE_ID, JAVA_INT);
        allReduce = bind(lib, "ncclAllReduce", ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
        broadcast = bind(lib, "ncclBroadcast", ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
        commAbort = bind(lib, "ncclCommAbort", ADDRESS);
        commDestroy = bind(lib, "ncclCommDestroy", ADDRESS);
        getVersion = bind(lib, "ncclGetVersion", ADDRESS);
        errorString = LINKER.downcallHandle(lib.find("ncclGetErrorString").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    /** Finds and opens libnccl.so.2 on this machine. */
    static Nccl system() {
        return CudaLibraryLocator.system(CudaLibraryLocator.NCCL_LIBRARY).locate(Nccl::load).library();
    }

    static Nccl load(CudaLibraryLocator.Found found) {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(found.library(), Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("cannot load " + found.library() + ": " + CudaProbe.oneLine(e), e);
        }
        return new Nccl(found, lib);
    }

    private static MethodHandle bind(SymbolLookup lib, String symbol, MemoryLayout... args) {
        return Cublas13.bind(lib, symbol, JAVA_INT, args);
    }

    @FunctionalInterface
    private interface Call {
        int run() throws Throwable;
    }

    /** Runs one NCCL call and turns a non-zero ncclResult_t into one line with NCCL's own text. */
    private void call(String name, Call c) {
        int result;
        try {
            result = c.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(name + ": " + t, t);
        }
        if (result == 0) return;
        String text;
        try {
            text = ((MemorySegment) errorString.invokeExact(result)).reinterpret(256).getString(0);
        } catch (Throwable t) {
            text = "error " + result;
        }
        throw new IllegalStateException(name + " failed: " + text + " (ncclResult_t " + result + "; NCCL_DEBUG=INFO says more)");
    }

    @Override
    public byte[] uniqueId() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment id = a.allocate(UNIQUE_ID);
            call("ncclGetUniqueId", () -> (int) getUniqueId.invokeExact(id));
            return id.toArray(JAVA_BYTE);
        }
    }

    @Override
    public long commInitRank(int nranks, byte[] uniqueId, int rank) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment comm = a.allocate(ADDRESS);
            MemorySegment id = a.allocate(UNIQUE_ID);
            id.copyFrom(MemorySegment.ofArray(uniqueId));
            call("ncclCommInitRank", () -> (int) commInitRank.invokeExact(comm, nranks, id, rank));
            return comm.get(ADDRESS, 0).address();
        }
    }

    @Override
    public void allReduce(long send, long recv, long count, int dataType, int op, long comm, long stream) {
        call("ncclAllReduce", () -> (int) allReduce.invokeExact(MemorySegment.ofAddress(send), MemorySegment.ofAddress(recv), count,
                dataType, op, MemorySegment.ofAddress(comm), MemorySegment.ofAddress(stream)));
    }

    @Override
    public void broadcast(long send, long recv, long count, int dataType, int root, long comm, long stream) {
        call("ncclBroadcast", () -> (int) broadcast.invokeExact(MemorySegment.ofAddress(send), MemorySegment.ofAddress(recv), count,
                dataType, root, MemorySegment.ofAddress(comm), MemorySegment.ofAddress(stream)));
    }

    @Override
    public void abort(long comm) {
        call("ncclCommAbort", () -> (int) commAbort.invokeExact(MemorySegment.ofAddress(comm)));
    }

    @Override
    public void destroy(long comm) {
        call("ncclCommDestroy", () -> (int) commDestroy.invokeExact(MemorySegment.ofAddress(comm)));
    }

    @Override
    public String version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            call("ncclGetVersion", () -> (int) getVersion.invokeExact(v));
            int code = v.get(JAVA_INT, 0);              // NCCL_VERSION(X,Y,Z): X*10000 + Y*100 + Z since 2.9
            return "NCCL " + code / 10000 + "." + code / 100 % 100 + "." + code % 100 + " (" + found.describe() + ")";
        }
    }
}
