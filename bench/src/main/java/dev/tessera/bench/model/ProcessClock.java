package dev.tessera.bench.model;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;

/**
 * CPU time of the whole process (every thread), in nanoseconds, at the kernel's resolution. The JDK's
 * {@code OperatingSystemMXBean.getProcessCpuTime} counts in scheduler ticks on Linux (10 ms here), far too
 * coarse for one backend call; {@code clock_gettime(CLOCK_PROCESS_CPUTIME_ID)} (POSIX) is exact, and is called
 * through the FFM linker. Where that symbol cannot be linked the tick-based bean is used and {@link #precise}
 * says so.
 */
final class ProcessClock {
    private static final int CLOCK_PROCESS_CPUTIME_ID = 2;     // <linux/time.h>
    private static final MethodHandle CLOCK_GETTIME = link();
    private static final MemorySegment TIMESPEC = CLOCK_GETTIME == null ? null : Arena.global().allocate(16, 8);
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private ProcessClock() {}

    private static MethodHandle link() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("clock_gettime").map(s -> linker.downcallHandle(s,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** True when {@link #nanos} reads the exact clock, false when it falls back to scheduler ticks. */
    static boolean precise() {
        return CLOCK_GETTIME != null;
    }

    /** Process CPU time so far. Called from the thread that drives the backend only (one shared timespec). */
    static long nanos() {
        if (CLOCK_GETTIME == null) return OS.getProcessCpuTime();
        try {
            int rc = (int) CLOCK_GETTIME.invokeExact(CLOCK_PROCESS_CPUTIME_ID, TIMESPEC);
            if (rc != 0) return OS.getProcessCpuTime();
        } catch (Throwable t) {
            throw new IllegalStateException("clock_gettime failed", t);
        }
        return TIMESPEC.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + TIMESPEC.get(ValueLayout.JAVA_LONG, 8);
    }
}
