package dev.tessera.engine.dist;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Open MPI 4.1 ({@code libmpi.so.40}, Debian's {@code openmpi-bin}/{@code libopenmpi3}) through Java's Foreign
 * Function &amp; Memory API: MPI_Init, the rank and size of MPI_COMM_WORLD, non-blocking all-reduce, broadcast and
 * barrier, MPI_Abort and MPI_Finalize. No JNI library is built.
 *
 * <p>Open MPI's predefined handles are addresses of global objects, not integers (mpi.h:
 * {@code #define MPI_COMM_WORLD OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)}, likewise
 * {@code ompi_mpi_float}, {@code ompi_mpi_double}, {@code ompi_mpi_byte}, {@code ompi_mpi_op_sum});
 * {@code MPI_IN_PLACE} is {@code (void *) 1} and {@code MPI_STATUS_IGNORE} is {@code NULL}. The library is opened
 * with {@code RTLD_GLOBAL} first, as mpi4py does, so that Open MPI's plugins find its symbols.
 *
 * <p>Threads: every MPI call, MPI_Init included, runs on one thread of this class ("tessera-mpi"), so the
 * library's default thread level (one thread calls MPI) holds while training threads go on computing. Every
 * collective is started non-blocking and polled with MPI_Test until it completes or {@link #timeout()} passes;
 * then the rank prints one line to stderr and calls MPI_Abort, which makes {@code mpirun} end every rank:
 * a dead or stopped rank fails the job instead of hanging it.
 */
public final class Mpi implements AutoCloseable {
    /** The library file (Open MPI 4.x's soname). */
    public static final String LIBRARY = "libmpi.so.40";
    /** Seconds a collective may take before the job is aborted; {@code TESSERA_COLLECTIVE_TIMEOUT} changes it. */
    public static final String TIMEOUT_ENV = "TESSERA_COLLECTIVE_TIMEOUT";
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(300);
    private static final int RTLD_NOW_GLOBAL = 0x102;
    private static final MemorySegment IN_PLACE = MemorySegment.ofAddress(1);

    private static Mpi instance;

    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tessera-mpi");
        t.setDaemon(true);
        return t;
    });
    private final Duration timeout;
    private final MemorySegment world, floatType, doubleType, byteType, sum;
    private final MethodHandle init, finalize, commRank, commSize, iallreduce, ibcast, ibarrier, test, abort;
    private int rank, size;
    private boolean closed;

    private Mpi(SymbolLookup lib, Duration timeout) {
        this.timeout = timeout;
        world = symbol(lib, "ompi_mpi_comm_world");
        floatType = symbol(lib, "ompi_mpi_float");
        doubleType = symbol(lib, "ompi_mpi_double");
        byteType = symbol(lib, "ompi_mpi_byte");
        sum = symbol(lib, "ompi_mpi_op_sum");
        init = bind(lib, "MPI_Init", ADDRESS, ADDRESS);
        finalize = bind(lib, "MPI_Finalize");
        commRank = bind(lib, "MPI_Comm_rank", ADDRESS, ADDRESS);
        commSize = bind(lib, "MPI_Comm_size", ADDRESS, ADDRESS);
        // int MPI_Iallreduce(const void*, void*, int, MPI_Datatype, MPI_Op, MPI_Comm, MPI_Request*)
        iallreduce = bind(lib, "MPI_Iallreduce", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        // int MPI_Ibcast(void*, int, MPI_Datatype, int root, MPI_Comm, MPI_Request*)
        ibcast = bind(lib, "MPI_Ibcast", ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        ibarrier = bind(lib, "MPI_Ibarrier", ADDRESS, ADDRESS);
        // int MPI_Test(MPI_Request*, int* flag, MPI_Status*)
        test = bind(lib, "MPI_Test", ADDRESS, ADDRESS, ADDRESS);
        abort = bind(lib, "MPI_Abort", ADDRESS, JAVA_INT);
    }

    /**
     * Joins the MPI job this process was started in (once per process; later calls return the same object).
     * Throws IllegalStateException with one line when Open MPI is not installed or MPI_Init fails.
     */
    public static synchronized Mpi join() {
        if (instance != null) return instance;
        Mpi mpi = new Mpi(open(), timeoutFrom(System.getenv(TIMEOUT_ENV)));
        mpi.call("MPI_Init", () -> {
            check("MPI_Init", (int) mpi.init.invokeExact(MemorySegment.NULL, MemorySegment.NULL));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(JAVA_INT);
                check("MPI_Comm_rank", (int) mpi.commRank.invokeExact(mpi.world, out));
                mpi.rank = out.get(JAVA_INT, 0);
                check("MPI_Comm_size", (int) mpi.commSize.invokeExact(mpi.world, out));
                mpi.size = out.get(JAVA_INT, 0);
            }
            return null;
        });
        instance = mpi;
        return mpi;
    }

    /** True when this process was started by Open MPI's launcher (mpirun/mpiexec, or srun with PMIx). */
    public static boolean launchedByMpi() {
        return System.getenv("OMPI_COMM_WORLD_SIZE") != null || System.getenv("PMIX_RANK") != null;
    }

    /** The collective timeout: {@code value} seconds (from TESSERA_COLLECTIVE_TIMEOUT), or 300 s when unset. */
    static Duration timeoutFrom(String value) {
        if (value == null || value.isBlank()) return DEFAULT_TIMEOUT;
        try {
            double s = Double.parseDouble(value.trim());
            if (s > 0 && Double.isFinite(s)) return Duration.ofMillis((long) (s * 1000));
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(TIMEOUT_ENV + " must be a positive number of seconds, got '" + value + "'");
    }

    private static SymbolLookup open() {
        Linker linker = Linker.nativeLinker();
        try (Arena a = Arena.ofConfined()) {
            // dlopen(name, RTLD_NOW | RTLD_GLOBAL): Open MPI's plugins resolve libmpi's symbols globally
            MethodHandle dlopen = linker.downcallHandle(linker.defaultLookup().find("dlopen").orElseThrow(),
                    FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
            MemorySegment h = (MemorySegment) dlopen.invokeExact(a.allocateFrom(LIBRARY), RTLD_NOW_GLOBAL);
            if (h.address() == 0) {
                throw new IllegalStateException(LIBRARY + " not found: install Open MPI (Debian: apt-get install openmpi-bin) "
                        + "or add its library folder to LD_LIBRARY_PATH");
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot open " + LIBRARY + ": " + t, t);
        }
        return SymbolLookup.libraryLookup(LIBRARY, Arena.global());
    }

    private static MemorySegment symbol(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new IllegalStateException(LIBRARY + " has no symbol " + name
                + "; Tessera binds Open MPI 4.x (its handles are these global objects)"));
    }

    private static MethodHandle bind(SymbolLookup lib, String name, MemoryLayout... args) {
        return Linker.nativeLinker().downcallHandle(symbol(lib, name), FunctionDescriptor.of(JAVA_INT, args));
    }

    private static void check(String call, int code) {
        if (code != 0) throw new IllegalStateException(call + " failed with MPI error " + code);
    }

    public int rank() {
        return rank;
    }

    public int worldSize() {
        return size;
    }

    /** How long one collective may wait for the other ranks. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Starts summing {@code count} floats over all ranks on the MPI thread: {@code fill} writes this rank's values
     * into a native staging array, the sum is made in place, and {@code drain} reads the result back. Both run on
     * the MPI thread, so a caller's buffer is read and written there, while the caller goes on computing.
     */
    public Future<?> allReduceFloats(int count, Consumer<MemorySegment> fill, Consumer<MemorySegment> drain) {
        String what = "all-reduce of " + count + " floats";
        return submit(what, () -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment data = a.allocate((long) count * Float.BYTES, 64);
                fill.accept(data);
                nonBlocking(what, req -> (int) iallreduce.invokeExact(IN_PLACE, data, count, floatType, sum, world, req));
                drain.accept(data);
                return null;
            }
        });
    }

    /** Sums small host arrays over all ranks (blocking). */
    public double[] allReduce(double[] values) {
        return call("all-reduce of " + values.length + " doubles", () -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment seg = a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_DOUBLE, values);
                nonBlocking("all-reduce of " + values.length + " doubles",
                        req -> (int) iallreduce.invokeExact(IN_PLACE, seg, values.length, doubleType, sum, world, req));
                return seg.toArray(java.lang.foreign.ValueLayout.JAVA_DOUBLE);
            }
        });
    }

    /** Rank {@code root}'s {@code bytes} on every rank (blocking): NCCL's unique id travels this way. */
    public byte[] broadcast(byte[] bytes, int root) {
        return call("broadcast of " + bytes.length + " bytes", () -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment seg = a.allocate(bytes.length);
                seg.copyFrom(MemorySegment.ofArray(bytes));
                broadcastBytes(seg, root);
                return seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            }
        });
    }

    /** Broadcasts {@code data} (native memory) from rank {@code root}, in place (blocking). */
    public void broadcast(MemorySegment data, int root) {
        call("broadcast of " + data.byteSize() + " bytes", () -> {
            broadcastBytes(data, root);
            return null;
        });
    }

    private void broadcastBytes(MemorySegment data, int root) throws Throwable {
        if (data.byteSize() > Integer.MAX_VALUE) throw new IllegalArgumentException("broadcast of more than 2 GiB at once");
        int n = (int) data.byteSize();
        nonBlocking("broadcast of " + n + " bytes", req -> (int) ibcast.invokeExact(data, n, byteType, root, world, req));
    }

    public void barrier() {
        call("barrier", () -> {
            nonBlocking("barrier", req -> (int) ibarrier.invokeExact(world, req));
            return null;
        });
    }

    /**
     * MPI_Finalize, waiting at most 10 s: when this rank leaves because of an error while the others wait in a
     * collective, finalizing would wait for them; then the rank leaves without it, and mpirun, seeing the process
     * end, ends the job.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        Future<?> f = submit("MPI_Finalize", () -> {
            check("MPI_Finalize", (int) finalize.invokeExact());
            return null;
        });
        closed = true;
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return;                                   // the MPI thread is a daemon: it does not keep the JVM alive
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException("MPI_Finalize: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.shutdown();
    }

    // ------------------------------------------------------------------ the MPI thread

    @FunctionalInterface
    private interface Start {
        int start(MemorySegment request) throws Throwable;
    }

    @FunctionalInterface
    private interface MpiCall<T> {
        T run() throws Throwable;
    }

    /** Runs on the MPI thread: starts a non-blocking operation and polls it until done or the timeout. */
    private void nonBlocking(String what, Start start) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment req = a.allocate(ADDRESS);
            MemorySegment flag = a.allocate(JAVA_INT);
            check(what, start.start(req));
            long deadline = System.nanoTime() + timeout.toNanos();
            int polls = 0;
            while (true) {
                check("MPI_Test (" + what + ")", (int) test.invokeExact(req, flag, MemorySegment.NULL));
                if (flag.get(JAVA_INT, 0) != 0) return;
                if (System.nanoTime() > deadline) timedOut(what);
                // Open MPI progresses only inside MPI calls: poll often at first, then every 0.2 ms
                if (++polls > 100) LockSupport.parkNanos(200_000);
                else Thread.onSpinWait();
            }
        }
    }

    /** Ends the whole job: one line on stderr, then MPI_Abort (mpirun then stops every rank). */
    private void timedOut(String what) throws Throwable {
        System.err.println(String.format(Locale.ROOT, "tessera: %s timed out after %.0f s on rank %d of %d: another rank died or hangs;"
                + " aborting the job (raise %s if the ranks are only slow)", what, timeout.toMillis() / 1000.0, rank, size, TIMEOUT_ENV));
        System.err.flush();
        int code = (int) abort.invokeExact(world, 3);
        Runtime.getRuntime().halt(3);                      // not reached when MPI_Abort works
        throw new IllegalStateException("MPI_Abort returned " + code);
    }

    private Future<?> submit(String what, MpiCall<?> c) {
        if (closed) throw new IllegalStateException(what + " after MPI_Finalize");
        return thread.submit((Callable<Object>) () -> {
            try {
                return c.run();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(what + ": " + t, t);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private <T> T call(String what, MpiCall<T> c) {
        return (T) await(submit(what, c), what);
    }

    /** Waits for a started collective; its own polling bounds the wait, so this adds no second timeout. */
    static Object await(Future<?> f, String what) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(what + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", e);
        }
    }
}
