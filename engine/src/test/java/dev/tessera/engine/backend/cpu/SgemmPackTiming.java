package dev.tessera.engine.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Direction check for {@link SgemmVector#packBTransposed} against the element loop it replaced
 * ({@link SgemmPackTest#packBTransposedReference}): the two alternate in one JVM on the Linear forward's
 * pack (a 2048-column × 256-deep block of a [3072, 768] weight), timed by this thread's CPU clock so a
 * shared machine's other processes count less. Not a test; run by hand after {@code test-compile}:
 * <pre>
 * java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp engine/target/classes:engine/target/test-classes \
 *     dev.tessera.engine.backend.cpu.SgemmPackTiming
 * </pre>
 */
final class SgemmPackTiming {
    private SgemmPackTiming() {}

    /** clock_gettime(CLOCK_THREAD_CPUTIME_ID) through FFM (Linux; the engine module does not read java.management). */
    private static final MethodHandle CLOCK_GETTIME = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("clock_gettime").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final int CLOCK_THREAD_CPUTIME_ID = 3;

    private static long threadCpuNanos() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ts = arena.allocate(16);
            int rc = (int) CLOCK_GETTIME.invokeExact(CLOCK_THREAD_CPUTIME_ID, ts);
            if (rc != 0) throw new IllegalStateException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) returned " + rc);
            return ts.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + ts.get(ValueLayout.JAVA_LONG, 8);
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    public static void main(String[] args) {
        int rows = 3072, ldb = 768, kc = 256, nc = 2048, reps = 200;
        float[] b = new float[rows * ldb], bp = new float[nc * kc];
        for (int i = 0; i < b.length; i++) b[i] = i % 1013 * 0.01f;
        for (int round = 0; round < 8; round++) {
            long t0 = threadCpuNanos();
            for (int r = 0; r < reps; r++) SgemmPackTest.packBTransposedReference(b, 0, ldb, 256 * (r % 3), kc, 512 * (r % 2), nc, bp);
            long t1 = threadCpuNanos();
            for (int r = 0; r < reps; r++) SgemmVector.packBTransposed(b, 0, ldb, 256 * (r % 3), kc, 512 * (r % 2), nc, bp);
            long t2 = threadCpuNanos();
            double floats = (double) reps * nc * kc;
            System.out.printf("round %d: element loop %.2f ns/float, register transpose %.2f ns/float (%.1fx)%n",
                    round, (t1 - t0) / floats, (t2 - t1) / floats, (double) (t1 - t0) / (t2 - t1));
        }
    }
}
